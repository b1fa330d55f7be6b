"""config.example.toml and the README's config table, written from the schema's declarations.

`python -m attribtui.infra.config.docs` rewrites both; tests/unit/test_config_docs.py fails when
either is out of date, so a key added to schema.py cannot go undocumented.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from attribtui.infra.config.keys import JSON_KINDS, KEYS, SECTIONS, Key
from attribtui.vocab import JsonDict

BEGIN, END = "<!-- config-table -->", "<!-- /config-table -->"

HEADER = """\
# attribtui configuration (TOML). Generated from attribtui/infra/config/schema.py by
# `python -m attribtui.infra.config.docs`: edit the schema, not this file.
#
# Where it is read from, first match wins:
#   1. attribtui --config PATH          (must exist)
#   2. $ATTRIBTUI_CONFIG                (must exist)
#   3. <user config dir>/attribtui/config.toml, e.g. ~/.config/attribtui/config.toml
#      (`attribtui paths` prints it). No file at all: an implicit profile named "env" is built
#      from ATTRIBTUI_* variables alone, with environment "unknown", treated as production.
#
# Precedence for every key: command-line flag > environment variable > this file > default.
# Every profile key can be overridden by ATTRIBTUI_<SECTION>_<KEY>, e.g. ATTRIBTUI_DB_URL,
# ATTRIBTUI_DB_READ_URL, ATTRIBTUI_API_BASE_URL, ATTRIBTUI_JOBS_RUNNER; section-less keys as
# ATTRIBTUI_ENVIRONMENT and ATTRIBTUI_READ_ONLY. Lists are JSON arrays
# (ATTRIBTUI_MEMCACHE_SERVERS='["10.0.0.5:11211"]'), jobs.env a JSON object, booleans
# 1/0/true/false/yes/no; an empty value unsets an optional key. Active overrides are shown in the
# header, in `check --json` and in every confirmation. An unknown ATTRIBTUI_* variable is an error,
# as is an unknown key in this file. Not overrides: ATTRIBTUI_CONFIG, ATTRIBTUI_PROFILE,
# ATTRIBTUI_DATA_DIR, ATTRIBTUI_NOW.
#
# A fleet: every profile below is one deployment. `attribtui profiles` lists them with their
# groups; `attribtui check --all-profiles` (or --profiles a,b, or --group eu) checks them all at
# once, each under its own connect timeout and deadline, and only reads.
#
# This file may hold secrets (api.key, passwords in db URLs): keep it `chmod 600`, or attribtui
# warns. Better still, keep the API key in the environment (api.key_env).

# Profile used when neither --profile nor $ATTRIBTUI_PROFILE names one. Optional when the file
# holds a single profile.
default_profile = "staging"
"""

# Smaller profiles after the fully documented one: dotted key -> value.
MORE_PROFILES: dict[str, JsonDict] = {
    "staging": {
        "environment": "staging",
        "groups": ["eu"],
        "db.url": "mysql+pymysql://attribtui@db-staging.internal:3306/prosper202",
        "db.read_url": "mysql+pymysql://attribtui_ro@db-staging-replica.internal:3306/prosper202",
        "db.statement_timeout_ms": 10000,
        "api.base_url": "https://staging.prosper.example.com",
        "api.key_env": "P202_STAGING_API_KEY",
        "memcache.servers": ["cache-staging.internal:11211"],
        "jobs.prosper_root": "/var/www/prosper202",
    },
    "dev": {
        "environment": "dev",
        "db.url": "mysql+pymysql://root@127.0.0.1:3306/prosper202",
        "api.base_url": "http://localhost:8080",
        "api.key_env": "P202_DEV_API_KEY",
        "memcache.servers": ["127.0.0.1:11211"],
        "jobs.runner": "php",
        "jobs.prosper_root": "~/src/prosper202",
    },
}
RULE = "# " + "-" * 93


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def shown_default(key: Key) -> str:
    if key.shown_default is not None:
        return key.shown_default
    if key.default is None:
        return "none"
    if isinstance(key.default, str):
        return json.dumps(key.default)
    return toml_value(key.default) if not isinstance(key.default, dict) else "{}"


def _comment(key: Key) -> list[str]:
    first, _, more = key.doc.partition("\n")
    default = "Required" if key.default is None and key.kind == "choice" and not key.top_level \
        and key.section is None else f"Default {shown_default(key)}"
    text = f"{first}. {default} (${key.env_var}"
    text += ", JSON)." if key.kind in JSON_KINDS else ")."
    if key.kind == "choice":
        text += " One of " + ", ".join(key.choices) + "."
    if more:
        text += " " + more
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > 99:
            lines.append(line)
            line = "#"
        line += " " + word
    return [*lines, line]


def _assign(name: str, value: Any, commented: bool = False) -> str:
    return f"{'# ' if commented else ''}{name} = {toml_value(value)}"


def example_toml() -> str:
    out = [HEADER.rstrip("\n")]
    top = [k for k in KEYS if k.top_level]
    for key in top:
        out += ["", *_comment(key), _assign(key.name, key.example, key.commented)]
    out += ["", "", RULE, "[profiles.production]"]
    for key in [k for k in KEYS if k.section is None and not k.top_level]:
        out += [*_comment(key), _assign(key.name, key.example, key.commented)]
    for section in SECTIONS:
        out += ["", f"[profiles.production.{section}]"]
        tables: list[tuple[Key, dict[str, object]]] = []
        for key in [k for k in KEYS if k.section == section]:
            if isinstance(key.example, dict):
                tables.append((key, key.example))
                continue
            out += [*_comment(key), _assign(key.name, key.example, key.commented)]
        for key, example in tables:
            out += ["", f"[profiles.production.{section}.{key.name}]", *_comment(key)]
            out += [_assign(k, v) for k, v in example.items()]
    for name, values in MORE_PROFILES.items():
        out += ["", "", RULE, f"[profiles.{name}]"]
        out += [_assign(d, v) for d, v in values.items() if "." not in d]
        for section in SECTIONS:
            inside = {d.split(".", 1)[1]: v for d, v in values.items()
                      if d.startswith(section + ".")}
            if inside:
                out += ["", f"[profiles.{name}.{section}]", *(_assign(k, v) for k, v in
                                                              inside.items())]
    return "\n".join(out) + "\n"


def readme_table() -> str:
    rows = ["| key | default | env override | meaning |", "|---|---|---|---|",
            "| `default_profile` | the only profile | `ATTRIBTUI_PROFILE` selects | profile used "
            "without `--profile` |"]
    for key in KEYS:
        default = shown_default(key).replace("|", "\\|")
        json_note = " (JSON)" if key.kind in JSON_KINDS else ""
        rows.append(f"| `{key.dotted}` | {default} | `{key.env_var}`{json_note} | "
                    f"{key.summary.replace('|', chr(92) + '|')} |")
    return "\n".join(rows)


def rewrite_readme(readme: str) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{readme_table()}\n{END}{tail}"


def main(repo: Path) -> None:
    (repo / "config.example.toml").write_text(example_toml())
    readme = repo / "README.md"
    readme.write_text(rewrite_readme(readme.read_text()))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
