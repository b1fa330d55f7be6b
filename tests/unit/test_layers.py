"""The core never imports Textual (docs/architecture.md, "Layers"): headless commands must stay
light and scriptable."""

import ast
import importlib
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

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
    saved run, import no database layer; the checks worker loads it afterwards. Nor does what
    `attribtui demo` runs before the console opens (whether a walkthrough or job is live)."""
    code = ("import sys, screens.app, screens.health, screens.fleet, attribtui.checks,"
            " attribtui.services.demo, attribtui.cli.console;"
            "print(sorted(m for m in ('sqlalchemy', 'pymysql', 'httpx', 'pymemcache',"
            " 'attribtui.checks.framework', 'screens.journeys') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("package", ["attribtui.checks", "attribtui.services.rollback"])
def test_a_lazy_package_export_is_never_shadowed_by_a_submodule(package: str) -> None:
    """The packages that export on first use (PEP 562): importing a submodule binds its name on
    the package, so an export named like a submodule (rollback's suggest() and suggest.py) would
    turn into the module once anything imported it."""
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{package}.{info.name}")
    for name in pkg.__all__:
        assert not isinstance(getattr(pkg, name), types.ModuleType), f"{package}.{name}"
