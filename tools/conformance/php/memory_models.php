<?php
// Our in-memory stand-in for MysqlModelRepository, for the rules that only need a user's rows
// (create, update, slug uniqueness). Rows are kept as 202_attribution_models rows and every read
// hydrates them through upstream's ModelDefinition::fromDatabaseRow, and save() stores
// toDatabaseRow(), exactly the round trip the MySQL repository makes. What it does not copy:
// the column collation (findBySlug matches exactly, MariaDB case-insensitively) and column sizes.

declare(strict_types=1);

use Prosper202\Attribution\ModelDefinition;
use Prosper202\Attribution\ModelType;
use Prosper202\Attribution\Repository\ModelRepositoryInterface;

final class MemoryModelRepository implements ModelRepositoryInterface
{
    /** @var array<int, array<string, mixed>> rows by model_id, in insertion order */
    private array $rows = [];

    /** @param list<array<string, mixed>> $rows */
    public function __construct(array $rows, private int $nextId)
    {
        foreach ($rows as $row) {
            $this->rows[(int) $row['model_id']] = $row;
        }
    }

    public function findById(int $modelId): ?ModelDefinition
    {
        return isset($this->rows[$modelId]) ? ModelDefinition::fromDatabaseRow($this->rows[$modelId]) : null;
    }

    public function findDefaultForUser(int $userId): ?ModelDefinition
    {
        foreach ($this->rows as $row) {
            if ((int) $row['user_id'] === $userId && (int) $row['is_default'] === 1) {
                return ModelDefinition::fromDatabaseRow($row);
            }
        }
        return null;
    }

    public function findForUser(int $userId, ?ModelType $type = null, bool $onlyActive = true): array
    {
        $rows = array_filter($this->rows, static fn (array $r): bool => (int) $r['user_id'] === $userId
            && ($type === null || $r['model_type'] === $type->value)
            && (!$onlyActive || (int) $r['is_active'] === 1));
        usort($rows, static fn (array $a, array $b): int => (int) $b['created_at'] <=> (int) $a['created_at']);
        return array_map(ModelDefinition::fromDatabaseRow(...), $rows);
    }

    public function findBySlug(int $userId, string $slug): ?ModelDefinition
    {
        foreach ($this->rows as $row) {
            if ((int) $row['user_id'] === $userId && (string) $row['model_slug'] === $slug) {
                return ModelDefinition::fromDatabaseRow($row);
            }
        }
        return null;
    }

    public function save(ModelDefinition $model): ModelDefinition
    {
        $row = $model->toDatabaseRow();
        if ($model->modelId === null) {
            $row['model_id'] = $this->nextId++;
        }
        $this->rows[(int) $row['model_id']] = $row;
        return $this->findById((int) $row['model_id']) ?? throw new RuntimeException('lost model');
    }

    public function promoteToDefault(ModelDefinition $model): void
    {
        foreach ($this->rows as $id => $row) {
            if ((int) $row['user_id'] === $model->userId) {
                $this->rows[$id]['is_default'] = 0;
            }
        }
        $this->rows[(int) $model->modelId]['is_default'] = 1;
        $this->rows[(int) $model->modelId]['is_active'] = 1;
    }

    public function setAsDefault(int $userId, int $modelId): bool
    {
        throw new LogicException('not used by the rules');
    }

    public function delete(int $modelId, int $userId): void
    {
        throw new LogicException('not used by the rules');
    }
}
