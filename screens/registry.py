"""How screens join the shell without editing it.

A screen module in the `screens` package declares, at module level::

    SCREEN = ScreenSpec(key="1", name="health", title="Schema Health", factory=HealthScreen,
                        commands=(PaletteCommand("Run checks", "Rerun every check", "rerun"),))

`discover()` imports every module of the package (except the shell's own `app` and this one)
and collects those `SCREEN` specs, ordered by key. The shell binds each key, adds a mode per
screen and lists the screen and its commands in the command palette. Keys are DESIGN's fixed
numbers: 1 Health, 2 Journeys, 3 Models, 4 Jobs, 5 Rollback.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Modules that never declare a screen and must not be imported from here (import cycles).
_SKIP = frozenset({"app", "registry"})


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
    factory: Callable[[], Any]  # a Screen subclass (or a callable returning a new Screen)
    help: str = ""  # one line for the palette and the help screen
    commands: tuple[PaletteCommand, ...] = field(default_factory=tuple)


def discover(package: str = "screens") -> list[ScreenSpec]:
    """Every SCREEN declared in the package's modules, ordered by key; duplicates raise."""
    pkg = importlib.import_module(package)
    specs: dict[str, ScreenSpec] = {}
    names: set[str] = set()
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name in _SKIP or info.name.startswith("_") or info.ispkg:
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
    return [specs[k] for k in sorted(specs)]
