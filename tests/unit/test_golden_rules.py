"""attribtui's pure rules against upstream's own answers (tests/golden/, no PHP needed).

PHP's casts and json_decode, ModelDefinition hydration, v2 create/update validation and slugs,
every credit strategy, getJourney, and MariaDB's rounding of bound doubles (data only: the values
were stored by MariaDB when the golden file was written).
"""

from __future__ import annotations

import pytest

from tests.golden_support import Context, check_rule

PURE = ["php_casts", "weighting_json", "model_hydrate", "v2_create", "v2_update", "v2_slugify",
        "credit", "journey_for_credit", "decimal_storage"]


@pytest.mark.parametrize("name", PURE)
def test_rule_matches_upstream(name: str) -> None:
    check_rule(name, Context())
