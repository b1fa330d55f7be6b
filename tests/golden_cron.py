"""Cron golden files: how a script's output is compared (upstream's and the stand-in's alike).

Normalisations, each because the text depends on the machine, not on behaviour:
- the Prosper202 root (wherever the harness staged it) reads /var/www/prosper202;
- connect.php's DB-outage page (a full HTML document with the driver's error text) becomes the
  one line `<connect.php: Error establishing a database connection>`;
- an uncaught exception (`PHP Fatal error:  Uncaught X: msg in file:line` plus its stack trace)
  keeps its first line up to ` in ` (the trace lists upstream's call stack).
"""

from __future__ import annotations

import re

ROOT = "/var/www/prosper202"
OUTAGE = "<connect.php: Error establishing a database connection>"
_FATAL = re.compile(r"(PHP )?Fatal error: +Uncaught (?P<what>.*?) in /.*", re.S)


def normalise(text: str, root: str = "") -> str:
    if root:
        text = text.replace(root.rstrip("/"), ROOT)
    if "Error establishing a database connection" in text:
        return OUTAGE + "\n"
    lines = []
    for line in text.split("\n"):
        m = _FATAL.search(line)
        if m:
            prefix = line[:m.start()]
            lines.append(f"{prefix}{m.group(1) or ''}Fatal error:  Uncaught {m.group('what')}")
            continue
        if line.startswith(("#", "Stack trace:", "  thrown in", "  PHP ")) or re.match(
                r"^PHP +(Stack trace:|\d+\.|  thrown)", line):
            continue
        lines.append(line)
    return "\n".join(lines)
