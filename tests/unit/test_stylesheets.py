"""Every screen's stylesheet is loaded at start (screens/app.py CSS_PATH), so the rules are
global: an id that two screens use must be styled with its screen's name in front, or one
screen's rule restyles the other's widget (it did: Jobs' #start widened Rollback's Start)."""

import re
from pathlib import Path

SCREENS = Path(__file__).resolve().parents[2] / "screens"


def ids_by_package() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in SCREENS.rglob("*.py"):
        package = path.relative_to(SCREENS).parts[0].removesuffix(".py")
        for name in re.findall(r'id="([a-z0-9_-]+)"', path.read_text()):
            found.setdefault(name, set()).add(package)
    return found


def test_an_id_two_screens_use_is_styled_per_screen() -> None:
    shared = {name for name, packages in ids_by_package().items() if len(packages) > 1}
    unscoped = []
    for sheet in SCREENS.glob("*.tcss"):
        css = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
        for selectors in re.findall(r"([^{}]+)\{", css):
            for selector in selectors.split(","):
                first = selector.split()[0] if selector.split() else ""
                ids = set(re.findall(r"#([a-z0-9_-]+)", selector))
                if ids & shared and not first.endswith("Screen"):
                    unscoped.append(f"{sheet.name}: {selector.strip()}")
    assert unscoped == []
