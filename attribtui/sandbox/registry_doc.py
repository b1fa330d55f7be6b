"""The README's table of planted defects, derived from the registry so the two never drift.

`python -m attribtui.sandbox.registry_doc README.md` rewrites the table between the
`<!-- defects-table -->` markers; a test fails when the README is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from attribtui.sandbox.defects import DEFECTS

BEGIN, END = "<!-- defects-table -->", "<!-- /defects-table -->"


def markdown_table() -> str:
    lines = ["| defect | where | found by | what it plants |", "|---|---|---|---|"]
    for d in DEFECTS.values():
        found = "<br>".join(f"`{f.check_id}` {f.status}" for f in d.findings)
        where = d.where + ("" if d.sqlite else " (MariaDB only)")
        lines.append(f"| `{d.id}` | {where} | {found} | {d.title} |")
    return "\n".join(lines)


def rewrite(readme: str) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{markdown_table()}\n{END}{tail}"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(rewrite(path.read_text()))
