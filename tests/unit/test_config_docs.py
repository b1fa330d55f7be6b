"""config.example.toml and the README's config table are generated from the schema."""

from pathlib import Path

from attribtui.infra.config import docs
from attribtui.infra.config.keys import KEYS

REPO = Path(__file__).resolve().parents[2]


def test_example_file_is_generated_from_the_schema() -> None:
    assert (REPO / "config.example.toml").read_text() == docs.example_toml(), (
        "run: .venv/bin/python -m attribtui.infra.config.docs .")


def test_readme_config_table_is_generated_from_the_schema() -> None:
    readme = (REPO / "README.md").read_text()
    assert docs.rewrite_readme(readme) == readme, "run: .venv/bin/python -m attribtui.infra.config.docs ."


def test_every_key_is_documented_with_its_environment_variable() -> None:
    example = (REPO / "config.example.toml").read_text()
    for key in KEYS:
        assert f"${key.env_var}" in example, key.dotted
        assert key.doc.strip(), key.dotted
