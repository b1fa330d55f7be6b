"""`attribtui profiles`: every profile of the config, what it targets, never a secret.

The fleet flags of `attribtui check` (--all-profiles, --profiles, --group) select from this list.
"""

from __future__ import annotations

import argparse

from attribtui.cli.common import Sub, common_args, err, print_json
from attribtui.services.profiles import describe_profiles
from attribtui.vocab import ExitCode

EPILOG = """exit codes:
  0   listed
  3   a profile's config could not be loaded (named on stderr), or no config could be read
  64  the command line could not be parsed"""


def register(sub: Sub) -> None:
    p = sub.add_parser("profiles", help="list the profiles: environment, groups, read-only, "
                       "what is configured",
                       description="List every profile of the config file with its "
                       "environment, groups, read-only flag and whether its database and API "
                       "are configured (never their URLs or keys). * marks the default.",
                       epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(p)
    p.set_defaults(func=cmd_profiles)


def cmd_profiles(args: argparse.Namespace) -> int:

    infos = describe_profiles(getattr(args, "config", None))
    code = ExitCode.UNKNOWN if any(i.error for i in infos) else ExitCode.OK
    if args.format == "json":
        print_json([i.to_json() for i in infos])
        return code
    rows = [("", "profile", "environment", "groups", "read-only", "db", "api")]
    rows += [("*" if i.default else "", i.name, i.environment, ",".join(i.groups) or "-",
              "yes" if i.read_only else "no", "yes" if i.db_configured else "no",
              "yes" if i.api_configured else "no") for i in infos]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for i in infos:
        if i.error:
            err(f"profile {i.name}: {i.error}")
    return code
