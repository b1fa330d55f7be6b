"""A screen's stylesheet is read when the screen joins the console (screens/app.py), and from then
on its rules are global: an id that two screens use must be styled with its screen's name in
front, or one screen's rule restyles the other's widget (it did: Jobs' #start widened Rollback's
Start). A class that several screens use is styled in app.tcss: in a screen's sheet it would
style the others only once that screen had loaded (Health's row dialog used Rollback's .hint)."""

import re
from pathlib import Path

SCREENS = Path(__file__).resolve().parents[2] / "screens"


def names_by_package(pattern: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in SCREENS.rglob("*.py"):
        package = path.relative_to(SCREENS).parts[0].removesuffix(".py")
        for names in re.findall(pattern, path.read_text()):
            for name in names.split():
                found.setdefault(name, set()).add(package)
    return found


def ids_by_package() -> dict[str, set[str]]:
    return names_by_package(r'id="([a-z0-9_-]+)"')


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


def test_a_class_several_screens_use_is_styled_in_the_shell_sheet() -> None:
    users = names_by_package(r'classes="([a-z0-9_ -]+)"')
    shared = {name for name, packages in users.items()
              if len(packages) > 1 or "components" in packages}
    misplaced = []
    for sheet in SCREENS.glob("*.tcss"):
        if sheet.name == "app.tcss":
            continue
        css = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
        for selectors in re.findall(r"([^{}]+)\{", css):
            for selector in selectors.split(","):
                first = selector.split()[0] if selector.split() else ""
                if first.startswith(".") and set(re.findall(r"\.([a-z0-9_-]+)", first)) & shared:
                    misplaced.append(f"{sheet.name}: {selector.strip()}")
    assert misplaced == []
