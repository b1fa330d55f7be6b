"""Stage upstream Prosper202 so its own PHP runs here: CLI scripts and the v2 API.

Takes an extracted checkout (tools/conformance/setup.sh's `.upstream/<commit>/`, or extracts one
itself from the bare git dir) and copies it to `tools/conformance/engine/.work/upstream/<commit>/`
(gitignored), then changes only the *environment*, never upstream's logic:

- PHP 8.3 typed class constants (`const string X = ...`) lose their type, so Debian's PHP 8.2
  parses them;
- `202-config.php` is upstream's own `202-config-sample.php` with the credentials read from the
  environment (P202_CONF_DB, P202_CONF_DB_HOST, P202_CONF_DB_PORT), one staged tree for any
  number of scratch databases;
- `vendor/autoload.php` replaces Composer: PSR-4 for upstream's namespaces and Debian's php-slim
  (Slim 3.12, Pimple, FastRoute, PSR-7/11) from /usr/share/php;
- `api/v2/router.php` for `php -S`: Apache's `api/v2/.htaccess` rewrite to index.php.

    python tools/conformance/engine/stage.py GIT_DIR COMMIT   # prints the staged root
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFORMANCE = HERE.parent
WORK = HERE / ".work"
TYPED_CONST = re.compile(
    r"^(\s*(?:(?:public|private|protected|final)\s+)*const)\s+(?!function\b)"
    r"[A-Za-z_\\?|][A-Za-z0-9_\\?|]*\s+([A-Z_][A-Z0-9_]*\s*=)", re.M)

CONFIG_VARS = {
    "dbname": "getenv('P202_CONF_DB') ?: 'prosper202'",
    "dbuser": "getenv('P202_CONF_DB_USER') ?: 'root'",
    "dbpass": "getenv('P202_CONF_DB_PASS') ?: ''",
    "dbhost": "(getenv('P202_CONF_DB_HOST') ?: '127.0.0.1')",
    "dbhostro": "(getenv('P202_CONF_DB_HOST') ?: '127.0.0.1')",
    "mchost": "getenv('P202_CONF_MC_HOST') ?: '127.0.0.1'",
}

AUTOLOAD = r"""<?php
// Composer stand-in for the conformance harness (tools/conformance/engine/stage.py).
declare(strict_types=1);
set_include_path('/usr/share/php' . PATH_SEPARATOR . get_include_path());
require_once 'Slim/autoload.php';
spl_autoload_register(static function (string $class): void {
    static $map = [
        'Prosper202\\' => '202-config/', 'Tracking202\\' => 'tracking202/',
        'Prosper202Interfaces\\' => '202-interfaces/', 'Api\\V3\\' => 'api/v3/',
        'Api\\' => 'api/', 'P202Cli\\' => 'cli/',
    ];
    foreach ($map as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = dirname(__DIR__) . '/' . $dir
                . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
                return;
            }
        }
    }
});
"""

ROUTER = r"""<?php
// php -S router: what api/v2/.htaccess does under Apache (everything to index.php).
$_SERVER['SCRIPT_NAME'] = '/api/v2/index.php';
$_SERVER['SCRIPT_FILENAME'] = __DIR__ . '/index.php';
$_SERVER['PHP_SELF'] = '/api/v2/index.php';
chdir(__DIR__);
require __DIR__ . '/index.php';
"""


def strip_typed_constants(root: Path) -> int:
    changed = 0
    for path in root.rglob("*.php"):
        if "/vendor/" in str(path) or "/tests/" in str(path):
            continue
        text = path.read_text(errors="surrogateescape")
        new = TYPED_CONST.sub(r"\1 \2", text)
        if new != text:
            path.write_text(new, errors="surrogateescape")
            changed += 1
    return changed


def write_config(root: Path) -> None:
    sample = (root / "202-config-sample.php").read_text()
    for var, expr in CONFIG_VARS.items():
        sample, n = re.subn(rf"^\${var} = '[^']*';", f"${var} = {expr};", sample, flags=re.M)
        if n != 1:
            raise SystemExit(f"202-config-sample.php: ${var} not found")
    # mysqli has no port argument in the sample: take it from mysqli.default_port (php -d).
    (root / "202-config.php").write_text(sample)


def stage(git_dir: str, commit: str) -> Path:
    target = WORK / "upstream" / commit
    if (target / ".staged").exists():
        return target
    source = CONFORMANCE / ".upstream" / commit
    if target.exists():
        shutil.rmtree(target)
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True)
    else:
        sys.path.insert(0, str(HERE))
        from extract import extract

        extract(git_dir, commit, target)
    strip_typed_constants(target)
    write_config(target)
    (target / "vendor").mkdir(exist_ok=True)
    (target / "vendor" / "autoload.php").write_text(AUTOLOAD)
    (target / "api" / "v2" / "router.php").write_text(ROUTER)
    (target / ".staged").write_text(commit + "\n")
    return target


if __name__ == "__main__":
    print(stage(sys.argv[1], sys.argv[2]))
