"""`python -m attribtui.sandbox.cron rebuild|backfill [--opt=value ...]`."""

from __future__ import annotations

import sys

from attribtui.prosper.scripts import KINDS
from attribtui.sandbox.cron import pace
from attribtui.sandbox.cron.backfill import backfill
from attribtui.sandbox.cron.php import err
from attribtui.sandbox.cron.rebuild import rebuild

USAGE = f"usage: python -m attribtui.sandbox.cron {'|'.join(KINDS)} [--opt=value ...]"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in KINDS:
        err(USAGE)
        return 64
    try:
        args = pace.take(argv[1:])
    except ValueError as e:
        err(str(e))
        return 64
    return rebuild(args) if argv[0] == "rebuild" else backfill(args)


if __name__ == "__main__":
    sys.exit(main())
