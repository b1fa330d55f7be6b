"""The v2 emulator against upstream's own answers (tests/golden/api/v2.json).

The golden file was written by tools/conformance/engine/api.py from Prosper202 at the commit it
names (PHP 8.2, Slim 3.12, MariaDB): its fixture database, every request in order (writes
included) and upstream's response to each, then the attribution tables at the end. Here the same
database is built, the same requests go to our emulator with the clock at the same NOW, and each
answer must equal upstream's, except where golden_http.explained says why (PHP's warnings printed into a body).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from attribtui.infra import clock
from attribtui.sandbox import emulator
from tests import golden_db, golden_http
from tests.support import SERVER_URL, new_database_name

GOLDEN = golden_db.GOLDEN / "api" / "v2.json"

@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDEN.read_text())
    return data


@pytest.fixture(scope="module")
def replayed(golden: dict[str, Any]) -> Iterator[tuple[list[dict[str, object]], dict[str, Any]]]:
    name = new_database_name()
    golden_db.build(name, golden["fixture"])
    clock.freeze(golden["now"])
    server, _ = emulator.serve(f"{SERVER_URL}/{name}")
    try:
        with httpx.Client(timeout=30) as client:
            base = emulator.base_url(server)
            answers = [golden_http.send(client, base, c["request"]) for c in golden["cases"]]
        yield answers, golden_db.dump(name, list(golden["state"]))
    finally:
        server.shutdown()
        server.server_close()
        clock.freeze(None)
        golden_db.drop(name)


def test_golden_file_names_its_upstream(golden: dict[str, Any]) -> None:
    assert golden["upstream"]["commit"] == "ceec1ee"
    assert len(golden["cases"]) >= 500


def test_every_answer_matches_upstream(golden: dict[str, Any], replayed: Any) -> None:
    answers, _ = replayed
    unexplained, explained = [], []
    for i, (case, ours) in enumerate(zip(golden["cases"], answers, strict=True)):
        if golden_http.same(case["response"], ours):
            continue
        reason = golden_http.explained(case["response"])
        entry = f"#{i} {case['request']['method']} {case['request']['path']}?{case['request']['qs']}"
        if reason is None:
            unexplained.append(f"{entry}\n  upstream {case['response']}\n  ours     {ours}")
        else:
            explained.append(entry)
    assert not unexplained, "\n".join(unexplained[:10])
    assert len(explained) <= 60  # the allow-list must not swallow the corpus


def test_database_ends_as_upstream_left_it(golden: dict[str, Any], replayed: Any) -> None:
    """Writes (models, audit rows, exports, deletes) land as upstream's do."""
    _, state = replayed
    theirs = golden_http.canonical(_jsonish(golden["state"]))
    ours = golden_http.canonical(_jsonish(state))
    assert isinstance(theirs, dict) and isinstance(ours, dict)
    for table in ("202_attribution_snapshots", "202_attribution_touchpoints",
                  "202_attribution_exports", "202_attribution_settings"):
        assert ours[table] == theirs[table], table
    for table in ("202_attribution_models", "202_attribution_audit"):
        assert [_no_id(r) for r in ours[table]] == [_no_id(r) for r in theirs[table]], table


def _no_id(row: Any) -> Any:
    return {k: v for k, v in row.items() if k != "audit_id"}


def _jsonish(state: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for table, rows in state.items():
        fixed = []
        for row in rows:
            row = dict(row)
            for col in ("metadata", "weighting_config", "webhook_headers", "options"):
                if isinstance(row.get(col), str):
                    with contextlib.suppress(ValueError):
                        row[col] = {"json": json.loads(row[col])}
            fixed.append(row)
        out[table] = fixed
    return out
