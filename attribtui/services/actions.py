"""Confirmed actions (DESIGN promise 2): one description of a write, for every screen and command.

A mutating feature builds an `ActionPlan` (what it will do, its side effects, the exact request,
SQL or command, redacted) and asks for it to be confirmed: the console shows it in a modal, a
headless command checks --yes / --confirm. Confirmations name the profile, environment, DB host
and API host and any environment override; on production (and the implicit `unknown` profile)
the operator types the profile name.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from attribtui.infra.redact import redact_url


@dataclass
class ActionPlan:
    title: str  # e.g. "Deactivate model 12 “Time Decay 48h”"
    effects: list[str] = field(default_factory=list)  # side effects, one sentence each
    request: str = ""  # the exact request / SQL / command, redacted (shown by --dry-run)
    typed: str | None = None  # text the operator must type besides the profile name, e.g. a model name
    destructive: bool = False


def where(profile: Any) -> list[str]:
    """The lines every confirmation starts with: profile, environment, hosts, overrides."""
    from attribtui.infra.db import describe_url

    lines = [f"Profile {profile.name} · environment {profile.display_env}"]
    if profile.db.url:
        lines.append(f"Database {describe_url(profile.db.url)}")
    if profile.api.base_url:
        lines.append(f"API {redact_url(profile.api.base_url)}")
    lines += [f"Override active: {o}" for o in profile.overrides]
    return lines


def typed_requirement(profile: Any, plan: ActionPlan) -> str | None:
    """What must be typed to confirm: the profile name on production (and the implicit
    profile), the plan's own text (a model name, "purge 12") where it has one; both, as
    "PROFILE:TEXT", when both apply."""
    if plan.typed and profile.cautious:
        return f"{profile.name}:{plan.typed}"
    if plan.typed:
        return plan.typed
    return profile.name if profile.cautious else None


def refused_in_read_only(profile: Any, what: str) -> str | None:
    if profile.read_only:
        return f"profile '{profile.name}' is read-only: {what} is not available"
    return None


def headless_confirm(profile: Any, plan: ActionPlan, *, yes: bool, confirm: str | None) -> str | None:
    """None if the action may go ahead without a prompt, else why not (one line).

    Nothing prompts when stdin is not a terminal (DESIGN): --yes is required there, and on a
    production or implicit profile also --confirm=PROFILE_NAME (or the plan's typed text).
    """
    needed = typed_requirement(profile, plan)
    if not yes:
        if sys.stdin.isatty():
            return _prompt(profile, plan, needed)
        return f"{plan.title}: not confirmed; pass --yes (stdin is not a terminal)"
    if needed and confirm != needed:
        return (f"{plan.title}: on profile '{profile.name}' ({profile.display_env}) also pass "
                f"--confirm={needed}")
    return None


def _prompt(profile: Any, plan: ActionPlan, needed: str | None) -> str | None:
    print("\n".join([plan.title, *where(profile), *[f"  - {e}" for e in plan.effects]]),
          file=sys.stderr)
    if needed:
        answer = input(f"Type {needed!r} to go ahead: ")
        return None if answer.strip() == needed else f"{plan.title}: not confirmed"
    answer = input("Go ahead? [y/N] ")
    return None if answer.strip().lower() in ("y", "yes") else f"{plan.title}: not confirmed"
