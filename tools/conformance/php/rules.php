<?php
// The conformance driver for upstream's pure rules: reads one JSON case per line on stdin,
// answers each with upstream's own classes, one JSON line per case on stdout.
//
//   php rules.php [--db=NAME]      (cases: {"id": ..., "rule": "...", "input": {...}})
//
// An answer is {"id", "output"} or {"id", "error": {"class", "message"}}; PHP warnings raised
// while answering are listed in "warnings". Rules that need SQL (journey, settings, decimal) use
// the MariaDB database NAME on 127.0.0.1 (root, no password), which the caller creates and drops.
// Nothing here re-implements a rule: every answer comes from upstream code, with our in-memory
// model repository standing in for MySQL where a rule only needs rows.

declare(strict_types=1);

require __DIR__ . '/autoload.php';

use Prosper202\Attribution\AttributionService;
use Prosper202\Attribution\Calculation\AssistedStrategy;
use Prosper202\Attribution\Calculation\ConversionBatch;
use Prosper202\Attribution\Calculation\ConversionRecord;
use Prosper202\Attribution\Calculation\ConversionTouchpoint;
use Prosper202\Attribution\Calculation\LastTouchStrategy;
use Prosper202\Attribution\Calculation\PositionBasedStrategy;
use Prosper202\Attribution\Calculation\TimeDecayStrategy;
use Prosper202\Attribution\ModelDefinition;
use Prosper202\Attribution\ModelType;
use Prosper202\Attribution\Repository\Mysql\ConversionJourneyRepository;
use Prosper202\Attribution\Repository\Mysql\MysqlModelRepository;
use Prosper202\Attribution\Repository\Mysql\MysqlSettingRepository;
use Prosper202\Attribution\Repository\NullAuditRepository;
use Prosper202\Attribution\Repository\NullExportJobRepository;
use Prosper202\Attribution\Repository\NullModelRepository;
use Prosper202\Attribution\Repository\NullSnapshotRepository;
use Prosper202\Attribution\Repository\NullTouchpointRepository;
use Prosper202\Attribution\Service\AttributionSettingsService;

require __DIR__ . '/memory_models.php';

ini_set('serialize_precision', '-1');
ini_set('precision', '14');
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);

$options = getopt('', ['db::']);
$dbName = is_string($options['db'] ?? null) ? $options['db'] : null;

/** @var list<string> $warnings */
$warnings = [];
set_error_handler(static function (int $errno, string $message) use (&$warnings): bool {
    $warnings[] = $message;
    return true;
});

function conformance_db(?string $name): mysqli
{
    static $link = null;
    if ($link === null) {
        if ($name === null) {
            throw new RuntimeException('this rule needs --db=NAME');
        }
        $link = new mysqli('127.0.0.1', 'root', '', $name, 3306);
        $link->set_charset('utf8mb4');
    }
    return $link;
}

/** A float JSON cannot carry (INF, NAN) as a tagged string; everything else unchanged. */
function conformance_plain(mixed $value): mixed
{
    if (is_float($value) && !is_finite($value)) {
        return ['__float__' => is_nan($value) ? 'NAN' : ($value > 0 ? 'INF' : '-INF')];
    }
    if (is_array($value)) {
        $out = [];
        foreach ($value as $k => $v) {
            $out[$k] = conformance_plain($v);
        }
        return $out;
    }
    return $value;
}

/**
 * PHP arrays keep their shape on the wire: a list stays a list, anything else is an object, and
 * an array with a key starting with NUL (which no object property can hold) is
 * {"__pairs__": [[key, value], ...]}.
 */
function conformance_shape(mixed $value): mixed
{
    if (!is_array($value)) {
        return conformance_plain($value);
    }
    $out = [];
    $pairs = [];
    $nul = false;
    foreach ($value as $k => $v) {
        $out[(string) $k] = conformance_shape($v);
        $pairs[] = [(string) $k, $out[(string) $k]];
        $nul = $nul || str_starts_with((string) $k, "\0");
    }
    if (array_is_list($value)) {
        return array_values($out);
    }
    return $nul ? ['__pairs__' => $pairs] : (object) $out;
}

// --- rules -----------------------------------------------------------------------------------

/** PHP's casts and is_numeric on one decoded JSON value (the runner and validation use them). */
function rule_casts(array $in): array
{
    $v = $in['value'];
    $out = [
        'is_numeric' => is_numeric($v),
        'int' => (int) $v,
        'float' => conformance_plain((float) $v),
        'bool' => (bool) $v,
        'is_array' => is_array($v),
        'empty' => empty($v),
    ];
    if (!is_array($v)) {
        $out['string'] = (string) $v;
    }
    return $out;
}

/** ModelDefinition::decodeConfig on a stored weighting_config text (private; via reflection). */
function rule_json(array $in): array
{
    $decode = new ReflectionMethod(ModelDefinition::class, 'decodeConfig');
    return ['value' => conformance_shape($decode->invoke(null, $in['text']))];
}

function model_summary(ModelDefinition $m): array
{
    return [
        'model_id' => $m->modelId,
        'user_id' => $m->userId,
        'name' => $m->name,
        'slug' => $m->slug,
        'type' => $m->type->value,
        'weighting_config' => conformance_shape($m->weightingConfig),
        'is_active' => $m->isActive,
        'is_default' => $m->isDefault,
        'created_at' => $m->createdAt,
        'updated_at' => $m->updatedAt,
    ];
}

/** ModelDefinition::fromDatabaseRow on one 202_attribution_models row. */
function rule_hydrate(array $in): array
{
    return model_summary(ModelDefinition::fromDatabaseRow($in['row']));
}

/** One conversion credited by the runner's strategy for a hydrated model row. */
function rule_credit(array $in): array
{
    $model = ModelDefinition::fromDatabaseRow($in['model']);
    $runner = (new ReflectionClass(\Prosper202\Attribution\AttributionJobRunner::class))->newInstanceWithoutConstructor();
    $strategy = (new ReflectionMethod($runner, 'resolveStrategy'))->invoke($runner, $model);
    $records = [];
    foreach ($in['conversions'] as $c) {
        $journey = [];
        foreach ($c['journey'] as [$clickId, $clickTime]) {
            $journey[] = new ConversionTouchpoint($clickId, $clickTime);
        }
        $records[] = new ConversionRecord(
            conversionId: $c['conv_id'],
            clickId: $c['click_id'],
            userId: 1,
            campaignId: 1,
            ppcAccountId: 1,
            convTime: $c['conv_time'],
            clickTime: $c['click_time'],
            clickPayout: (float) $c['payout'],
            clickCost: (float) $c['cost'],
            journey: $journey
        );
    }
    $result = $strategy->calculate($model, new ConversionBatch(1, 0, 1, $records));
    $hours = [];
    foreach ($result->snapshotsByHour as $bucket => $s) {
        $touches = [];
        foreach ($result->touchpointsByHour[$bucket] ?? [] as $t) {
            $touches[] = [$t->conversionId, $t->position, $t->clickId, $t->credit, $t->weight];
        }
        $hours[] = [
            'date_hour' => $bucket,
            'clicks' => $s->attributedClicks,
            'conversions' => $s->attributedConversions,
            'revenue' => $s->attributedRevenue,
            'cost' => $s->attributedCost,
            'touchpoints' => $touches,
        ];
    }
    return ['strategy' => (new ReflectionClass($strategy))->getShortName(), 'hours' => $hours];
}

/** ConversionRecord::getJourney: the journey the strategies credit. */
function rule_journey_for_credit(array $in): array
{
    $journey = [];
    foreach ($in['stored'] as [$clickId, $clickTime]) {
        $journey[] = new ConversionTouchpoint($clickId, $clickTime);
    }
    $record = new ConversionRecord(1, $in['click_id'], 1, 1, 1, 0, $in['click_time'], 0.0, 0.0, $journey);
    return array_map(static fn (ConversionTouchpoint $t): array => [$t->clickId, $t->clickTime], $record->getJourney());
}

/**
 * persistJourney on the scratch database, whose 202_clicks the caller filled; then
 * 202_conversion_touchpoints as written, and fetchJourneysForConversions' reading of it.
 */
function rule_journey(array $in, ?string $db): array
{
    $link = conformance_db($db);
    $conv = $in['conv_id'];
    $repo = new ConversionJourneyRepository($link);
    $repo->persistJourney($conv, $in['user_id'], $in['campaign_id'], $in['conv_time'], $in['click_id'], $in['click_time']);
    $rows = [];
    $result = $link->query(sprintf('SELECT position, click_id, click_time FROM 202_conversion_touchpoints WHERE conv_id = %d ORDER BY position, touchpoint_id', $conv));
    while ($r = $result->fetch_row()) {
        $rows[] = [(int) $r[0], (int) $r[1], (int) $r[2]];
    }
    $fetched = $repo->fetchJourneysForConversions([$conv]);
    return ['rows' => $rows, 'fetched' => array_map(static fn (array $t): array => [$t['click_id'], $t['click_time']], $fetched[$conv] ?? [])];
}

/** MysqlModelRepository::findForUser(user, null, onlyActive: true) as the runner calls it. */
function rule_model_order(array $in, ?string $db): array
{
    $repo = new MysqlModelRepository(conformance_db($db));
    $ids = array_map(static fn (ModelDefinition $m): ?int => $m->modelId, $repo->findForUser($in['user_id'], null, true));
    return ['model_ids' => $ids];
}

/** isMultiTouchEnabled over the settings rows the caller inserted for this user. */
function rule_settings(array $in, ?string $db): array
{
    AttributionSettingsService::resetRequestCache();
    $service = new AttributionSettingsService(new MysqlSettingRepository(conformance_db($db)), new NullModelRepository());
    return ['enabled' => $service->isMultiTouchEnabled($in['scope'])];
}

/** What MariaDB stores when a PHP double is bound into decimal(10,5) and decimal(12,4). */
function rule_decimal(array $in, ?string $db): array
{
    $link = conformance_db($db);
    $stmt = $link->prepare('INSERT INTO conformance_decimal (id, credit, money) VALUES (?, ?, ?)');
    $out = [];
    $link->begin_transaction();
    foreach ($in['values'] as $i => $v) {
        $id = $in['base'] + $i;
        $x = (float) $v;
        $stmt->bind_param('idd', $id, $x, $x);
        $stmt->execute();
    }
    $link->commit();
    $result = $link->query(sprintf('SELECT credit, money FROM conformance_decimal WHERE id BETWEEN %d AND %d ORDER BY id', $in['base'], $in['base'] + count($in['values']) - 1));
    while ($r = $result->fetch_row()) {
        $out[] = [$r[0], $r[1]];
    }
    return ['stored' => $out];
}

function conformance_service(MemoryModelRepository $models): AttributionService
{
    return new AttributionService($models, new NullSnapshotRepository(), new NullTouchpointRepository(), new NullAuditRepository(), new NullExportJobRepository());
}

/** AttributionService::createModel (POST /models) over the user's existing rows. */
function rule_create(array $in): array
{
    $models = new MemoryModelRepository($in['rows'], $in['next_id']);
    $before = time();
    $result = conformance_service($models)->createModel($in['user_id'], $in['payload']);
    $result['weighting_config'] = conformance_shape($result['weighting_config']);
    return ['model' => $result, 'time' => [$before, time()]];
}

/** AttributionService::updateModel (PATCH /models/{id}) over the user's existing rows. */
function rule_update(array $in): array
{
    $models = new MemoryModelRepository($in['rows'], $in['next_id']);
    $before = time();
    $result = conformance_service($models)->updateModel($in['user_id'], $in['model_id'], $in['payload']);
    $result['weighting_config'] = conformance_shape($result['weighting_config']);
    return ['model' => $result, 'time' => [$before, time()]];
}

/** AttributionService::slugify on its own (private; reached through reflection). */
function rule_slugify(array $in): array
{
    $service = conformance_service(new MemoryModelRepository([], 1));
    $before = time();
    $slug = (new ReflectionMethod($service, 'slugify'))->invoke($service, $in['value']);
    return ['slug' => $slug, 'time' => [$before, time()]];
}

// --- main loop -------------------------------------------------------------------------------

$rules = [
    'casts' => 'rule_casts',
    'json' => 'rule_json',
    'hydrate' => 'rule_hydrate',
    'credit' => 'rule_credit',
    'journey_for_credit' => 'rule_journey_for_credit',
    'journey' => 'rule_journey',
    'model_order' => 'rule_model_order',
    'settings' => 'rule_settings',
    'decimal' => 'rule_decimal',
    'create' => 'rule_create',
    'update' => 'rule_update',
    'slugify' => 'rule_slugify',
];

while (($line = fgets(STDIN)) !== false) {
    $line = trim($line);
    if ($line === '') {
        continue;
    }
    $case = json_decode($line, true, 4096, JSON_THROW_ON_ERROR);
    $warnings = [];
    $answer = ['id' => $case['id']];
    try {
        $fn = $rules[$case['rule']] ?? throw new RuntimeException('unknown rule ' . $case['rule']);
        $answer['output'] = $fn($case['input'], $dbName);
    } catch (Throwable $e) {
        $answer['error'] = ['class' => get_class($e), 'message' => $e->getMessage()];
    }
    if ($warnings !== []) {
        $answer['warnings'] = $warnings;
    }
    echo json_encode($answer, JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR, 4096), "\n";
}
