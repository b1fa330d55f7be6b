"""The core never imports Textual (docs/architecture.md, "Layers"): headless commands must stay
light and scriptable."""

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "attribtui"


def test_no_module_under_attribtui_imports_textual() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "textual" or n.startswith("textual.") for n in names):
                offenders.append(f"{path.relative_to(CORE.parent)}:{node.lineno}")
    assert offenders == []


def test_headless_check_does_not_load_textual() -> None:
    code = (
        "import sys, attribtui.cli.main, attribtui.checks.catalog, attribtui.infra.db, attribtui.infra.config;"
        "attribtui.checks.catalog.all_checks();"
        "attribtui.cli.main.build_parser();"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_first_screen_paints_before_sqlalchemy_loads() -> None:
    """Findings at first paint (issue "Speed"): the shell and the health screen, which paints the
    saved run, import no database layer; the checks worker loads it afterwards."""
    code = ("import sys, screens.app, screens.health, screens.fleet, attribtui.checks;"
            "print(sorted(m for m in ('sqlalchemy', 'pymysql', 'httpx', 'pymemcache',"
            " 'attribtui.checks.framework', 'screens.journeys') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
