"""Runs attribtui's rules against the golden files (tests/golden/README.md).

The comparisons live with the harness that wrote the files (tools/conformance/rulecheck), so the
harness and these tests judge a difference the same way; neither needs PHP here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "conformance"))

from rulecheck import r_casts, r_credit, r_journey, r_models, r_settings  # noqa: E402
from rulecheck.core import Context, Rule, ours_answer  # noqa: E402
from rulecheck.scratch import create_tables, reader  # noqa: E402

__all__ = ["RULES", "Context", "check_rule", "create_tables", "load", "reader"]

RULES: dict[str, Rule] = {r.name: r for r in [r_casts.RULE, *r_models.RULES, *r_credit.RULES,
                                                 *r_journey.RULES, *r_settings.RULES]}
PINNED = "ceec1ee"
GOLDEN = ROOT / "tests" / "golden"


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text())
    assert doc["rule"] == name
    assert doc["upstream"]["commit"].startswith(PINNED), doc["upstream"]
    assert doc["upstream"]["files"], "the header names the upstream files"
    assert doc["cases"], "no cases"
    return doc


def check_rule(name: str, ctx: Context) -> None:
    """Every golden case agrees with ours, or differs only in a way the rule's allow-list
    explains (with its reason, recorded in the file's header too)."""
    doc = load(name)
    rule = RULES[name]
    assert doc["deliberate"] == dict(rule.deliberate), "allow-list changed: rewrite the golden"
    unexplained: list[str] = []
    for i, case in enumerate(doc["cases"]):
        diff = rule.compare(case["input"], case["upstream"], ours_answer(rule, ctx, case["input"]),
                            ctx)
        if diff is not None and diff[0] not in rule.deliberate:
            unexplained.append(f"case {i}: {diff[0]}: {diff[1][:400]}")
    assert not unexplained, f"{len(unexplained)} of {len(doc['cases'])} cases differ from " \
        f"upstream:\n" + "\n".join(unexplained[:5])
