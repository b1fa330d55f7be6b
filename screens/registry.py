"""How screens join the shell without editing it.

A screen module or package of `screens` (a package declares it in its `__init__`) declares, at
module level::

    SCREEN = ScreenSpec(key="1", name="health", title="Schema Health", factory=HealthScreen,
                        commands=(PaletteCommand("Run checks", "Rerun every check", "rerun"),))

`discover()` imports every module and package of `screens` (except the shell's own `app`, this
one and the shared `components`) and collects those `SCREEN` specs, ordered by key. The shell
binds each key, adds a mode per screen and lists the screen and its commands in the command
palette. Keys are fixed: 1 Health, 2 Journeys, 3 Models, 4 Jobs, 5 Rollback, 6 Fleet.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.screen import Screen

# Never a screen, and not to be imported from here: the shell, this module, shared widgets.
_SKIP = frozenset({"app", "registry", "components"})


@dataclass(frozen=True)
class PaletteCommand:
    """A command palette entry: runs `action` (a Textual action string) on the screen."""

    title: str
    help: str
    action: str


@dataclass(frozen=True)
class ScreenSpec:
    key: str  # the fixed number key, "1".."9"
    name: str  # mode name, e.g. "health"
    title: str  # e.g. "Schema Health"
    factory: Callable[[], Screen[None]]  # a Screen subclass (or a callable returning a new Screen)
    help: str = ""  # one line for the palette and the help screen
    commands: tuple[PaletteCommand, ...] = field(default_factory=tuple)
    # False for a screen about every profile (Fleet): it stays when the console switches profile;
    # the others are made anew for the new one.
    per_profile: bool = True


def discover(package: str = "screens", only: str | None = None) -> list[ScreenSpec]:
    """Every SCREEN declared in the package's modules, ordered by key; duplicates raise.

    only: import just the module of that name (the screen the console opens on, so it paints
    before the others load); [] when it declares no screen of that name.
    """
    pkg = importlib.import_module(package)
    specs: dict[str, ScreenSpec] = {}
    names: set[str] = set()
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name in _SKIP or info.name.startswith("_") or only not in (None, info.name):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        spec = getattr(module, "SCREEN", None)
        if not isinstance(spec, ScreenSpec):
            continue
        if spec.key in specs or spec.name in names:
            raise ValueError(f"{package}.{info.name}: screen key {spec.key} or name "
                             f"{spec.name!r} is already registered")
        specs[spec.key] = spec
        names.add(spec.name)
    found = [specs[k] for k in sorted(specs)]
    return [s for s in found if s.name == only] if only is not None else found
