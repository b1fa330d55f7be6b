"""The command line: no abbreviated flags anywhere, an unknown flag named with the nearest one,
every duration, count and instant bounded where it is parsed, each error one line and exit 64.

Everything here fails while parsing, before a command touches a profile or a backend.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator

import pytest

from attribtui.cli.common import Parser
from attribtui.cli.main import build_parser, main, parse


def _parsers(p: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield p
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def test_every_parser_and_sub_parser_refuses_abbreviations() -> None:
    found = list(_parsers(build_parser()))
    assert len(found) > 25  # every family and action, nested ones included
    for p in found:
        assert isinstance(p, Parser), p.prog
        assert p.allow_abbrev is False, p.prog


def one_line_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 64
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    assert len(lines) == 1, out.err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["models", "delete", "--y", "4"],
         "attribtui models delete: error: unrecognized arguments: --y (did you mean --yes?); "
         "see `attribtui models delete --help`"),
        (["models", "deactivate", "4", "--no"],
         "attribtui models deactivate: error: unrecognized arguments: --no (did you mean "
         "--no-default?); see `attribtui models deactivate --help`"),
        (["models", "activate", "4", "--dry"],
         "attribtui models activate: error: unrecognized arguments: --dry (did you mean "
         "--dry-run?); see `attribtui models activate --help`"),
        (["check", "--windw", "6h"],
         "attribtui check: error: unrecognized arguments: --windw (did you mean --window?) 6h; "
         "see `attribtui check --help`"),
        (["check", "--no-sav"],
         "attribtui check: error: unrecognized arguments: --no-sav (did you mean --no-save?); "
         "see `attribtui check --help`"),
        (["prune", "--older-than", "30d", "--include=yes"],
         "attribtui prune: error: unrecognized arguments: --include=yes (did you mean "
         "--include-backups?); see `attribtui prune --help`"),
    ],
    ids=["--y", "--no", "--dry", "typo", "prefix", "with-value"],
)
def test_abbreviations_are_refused_with_the_nearest_flag(
        argv: list[str], line: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert one_line_usage_error(argv, capsys) == line


def test_an_unknown_command_suggests_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line_usage_error(["chek"], capsys)
    assert line.startswith("attribtui: error: argument COMMAND: invalid choice: 'chek'")
    assert line.endswith("(did you mean 'check'?); see `attribtui --help`")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["check", "--window", "99999999999d"],
         "attribtui check: error: argument --window: '99999999999d' is too long; use at most "
         "90d; see `attribtui check --help`"),
        (["check", "--window", "soon"],
         "attribtui check: error: argument --window: 'soon' is not a duration; use a positive "
         "number with a unit, e.g. 90m, 24h, 7d; see `attribtui check --help`"),
        (["check", "--deadline", "2h"],
         "attribtui check: error: argument --deadline: '2h' is too long; use at most 1h; see "
         "`attribtui check --help`"),
        (["prune", "--older-than", "99999d"],
         "attribtui prune: error: argument --older-than: '99999d' is too long; use at most "
         "3650d; see `attribtui prune --help`"),
        (["report", "--since", "99999999999"],
         "attribtui report: error: argument --since: '99999999999' is out of range; use a time "
         "from 1970-01-01T00:00:00Z to before 2100-01-01T00:00:00Z; see `attribtui report "
         "--help`"),
        (["report", "--until", "9999-12-31T00:00:00Z"],
         "attribtui report: error: argument --until: '9999-12-31T00:00:00Z' is out of range; use "
         "a time from 1970-01-01T00:00:00Z to before 2100-01-01T00:00:00Z; see `attribtui "
         "report --help`"),
        (["sandbox", "seed", "--url", "sqlite:///x.sqlite", "--conversions", "99999999"],
         "attribtui sandbox seed: error: argument --conversions: '99999999' is not a whole "
         "number from 1 to 1000000; see `attribtui sandbox seed --help`"),
        (["sandbox", "seed", "--url", "sqlite:///x.sqlite", "--now", "99999999999"],
         "attribtui sandbox seed: error: argument --now: '99999999999' is out of range; use a "
         "time from 1970-01-01T00:00:00Z to before 2100-01-01T00:00:00Z; see `attribtui sandbox "
         "seed --help`"),
        (["sandbox", "api", "--url", "sqlite:///x.sqlite", "--port", "70000"],
         "attribtui sandbox api: error: argument --port: '70000' is not a whole number from 0 "
         "to 65535; see `attribtui sandbox api --help`"),
        (["models", "delete", "4", "--backup-cap", "0"],
         "attribtui models delete: error: argument --backup-cap: '0' is not a whole number from "
         "1 to 10000000; see `attribtui models delete --help`"),
        (["models", "activate", "99999999999999999999"],
         "attribtui models activate: error: argument MODEL_ID: '99999999999999999999' is not a "
         "model id; use a whole number from 1 to 9223372036854775807 (see `attribtui models "
         "list`); see `attribtui models activate --help`"),
    ],
    ids=["window", "window-text", "deadline", "older-than", "since", "until", "conversions",
         "now", "port", "backup-cap", "model-id"],
)
def test_every_duration_count_and_instant_is_bounded(
        argv: list[str], line: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert one_line_usage_error(argv, capsys) == line


def test_a_url_that_cannot_be_parsed_is_never_quoted(capsys: pytest.CaptureFixture[str]) -> None:
    # The password holds "/?#@:" unencoded; Python's int() would quote "9zQ@host" as the port.
    line = one_line_usage_error(
        ["sandbox", "seed", "--url", "mysql+pymysql://u:Pa/ss?#@:9zQ@host/db"], capsys)
    assert line.startswith("attribtui sandbox seed: error: argument --url: not a database URL "
                           "(the part after the host's colon is not a port number); ")
    assert "percent-encoded (@ as %40)" in line
    assert "Pa/ss" not in line and "9zQ" not in line


def test_parsed_values_are_typed_and_the_parser_marker_is_gone() -> None:
    args = parse(["check", "--window", "7d", "--deadline", "45"])
    assert args.window == 7 * 86400 and args.deadline == 45
    assert not any(k.startswith("_attribtui") for k in vars(args))
    assert parse(["check"]).window == 48 * 3600 and parse(["check"]).deadline is None


def test_help_and_version_still_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert main(["check", "--help"]) == 0
    assert "--deadline DURATION" in capsys.readouterr().out


def test_the_console_is_parsed_without_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """`attribtui [--profile X] [--config P]` opens the console without building every command's
    parser; anything else goes to the full parser, which names the error."""
    for argv, profile, config in (([], None, None), (["--profile", "x"], "x", None),
                                  (["--config=/c.toml", "--profile=y"], "y", "/c.toml")):
        args = parse(argv)
        assert args.func.__name__ == "cmd_console"
        assert (args.profile, args.config) == (profile, config)
    assert parse(["check", "--profile", "x"]).func.__name__ != "cmd_console"
    line = one_line_usage_error(["--profile"], capsys)
    assert "--profile: expected one argument" in line
    line = one_line_usage_error(["--prof", "x"], capsys)
    assert "invalid choice: 'x'" in line


def test_the_console_imports_no_command_module() -> None:
    code = ("import sys; from attribtui.cli.main import parse; parse([]);"
            "print(sorted(m for m in sys.modules if m.startswith('attribtui.cli.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(["attribtui.cli.common", "attribtui.cli.console",
                                      "attribtui.cli.main"])
