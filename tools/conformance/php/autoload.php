<?php
// Our stand-in for Composer's autoloader: maps upstream's PSR-4 namespaces (its composer.json
// "autoload") onto the extracted tree, and loads Debian's Slim 3 stack (php-slim) for the v2 API.
//
// The upstream root is P202_UPSTREAM_ROOT, else the only extraction under tools/conformance/.upstream/
// (setup.sh writes it). Defines conformance_upstream_root() for drivers that need paths.

declare(strict_types=1);

function conformance_upstream_root(): string
{
    static $root = null;
    if ($root !== null) {
        return $root;
    }
    $env = getenv('P202_UPSTREAM_ROOT');
    if (is_string($env) && $env !== '') {
        $root = rtrim($env, '/');
    } else {
        $dirs = glob(__DIR__ . '/../.upstream/*', GLOB_ONLYDIR) ?: [];
        if (count($dirs) !== 1) {
            fwrite(STDERR, "autoload.php: set P202_UPSTREAM_ROOT (found " . count($dirs) . " extractions; run setup.sh)\n");
            exit(70);
        }
        $root = realpath($dirs[0]);
    }
    if (!is_file($root . '/composer.json')) {
        fwrite(STDERR, "autoload.php: $root is not an upstream extraction\n");
        exit(70);
    }
    return $root;
}

(static function (): void {
    $root = conformance_upstream_root();
    $composer = json_decode((string) file_get_contents($root . '/composer.json'), true, 512, JSON_THROW_ON_ERROR);
    $map = $composer['autoload']['psr-4'] ?? [];
    // Longest prefix first, so Api\V3\ wins over Api\ as Composer would.
    uksort($map, static fn (string $a, string $b): int => strlen($b) <=> strlen($a));
    spl_autoload_register(static function (string $class) use ($map, $root): void {
        foreach ($map as $prefix => $dir) {
            if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
                continue;
            }
            $file = $root . '/' . rtrim((string) $dir, '/') . '/'
                . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
                return;
            }
        }
    });
    // Debian's php-slim and its dependencies ship their own autoloaders under /usr/share/php.
    foreach (['Slim', 'FastRoute', 'Pimple', 'Psr/Container', 'Psr/Http/Message'] as $lib) {
        $file = '/usr/share/php/' . $lib . '/autoload.php';
        if (is_file($file)) {
            require_once $file;
        }
    }
})();
