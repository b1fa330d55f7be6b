"""Confirmed actions: one description of a write, for every screen and command.

A mutating feature builds an `ActionPlan` (what it will do, its side effects, the exact request,
SQL or command, redacted) and asks for it to be confirmed: the console shows it in a modal
(screens/components/confirm.py), a headless command checks --yes / --confirm (cli/common.py).
Confirmations name the profile, environment, DB host and API host and any environment override;
on production (and the implicit `unknown` profile) the operator types the profile name
(docs/architecture.md, "Safety").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attribtui.infra.config import Profile
from attribtui.infra.redact import describe_db_url, redact_url


@dataclass
class ActionPlan:
    title: str  # e.g. "Deactivate model 12 “Time Decay 48h”"
    effects: list[str] = field(default_factory=list)  # side effects, one sentence each
    request: str = ""  # the exact request / SQL / command, redacted (shown by --dry-run)
    typed: str | None = None  # text to type besides the profile name, e.g. a model name
    destructive: bool = False


def where(profile: Profile) -> list[str]:
    """The lines every confirmation starts with: profile, environment, hosts, overrides."""
    lines = [f"Profile {profile.name} · environment {profile.display_env}"]
    if profile.db.url:
        lines.append(f"Database {describe_db_url(profile.db.url)}")
    if profile.api.base_url:
        lines.append(f"API {redact_url(profile.api.base_url)}")
    lines += [f"Override active: {o}" for o in profile.overrides]
    return lines


def typed_requirement(profile: Profile, plan: ActionPlan) -> str | None:
    """What must be typed to confirm: the profile name on production (and the implicit
    profile), the plan's own text (a model name, "purge 12") where it has one; both, as
    "PROFILE:TEXT", when both apply."""
    if plan.typed and profile.cautious:
        return f"{profile.name}:{plan.typed}"
    if plan.typed:
        return plan.typed
    return profile.name if profile.cautious else None


def refused_in_read_only(profile: Profile, what: str) -> str | None:
    """Why a read-only profile does not offer this action, or None."""
    if profile.read_only:
        return f"profile '{profile.name}' is read-only: {what} is not available"
    return None
