"""The README keeps its promises: two quick-start commands first, the defects table current."""

from pathlib import Path

from attribtui.sandbox.registry_doc import rewrite

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_starts_with_exactly_the_two_quick_start_commands() -> None:
    text = README.read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    assert text.index("make demo") < text.index("## ")


def test_readme_defects_table_matches_the_registry() -> None:
    text = README.read_text()
    assert rewrite(text) == text, "run: .venv/bin/python -m attribtui.sandbox.registry_doc README.md"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (README.parent / ".ci" / "run").read_text()
    assert "make test" in ci
