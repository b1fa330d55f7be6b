"""Acting as a model's user: its own API key (api.user_keys), or the exact request to run.

Models of every user are listed from the database; the v2 API only acts for the key's user, so a
change to user 4's model needs user 4's key. Without one the change is planned all the same and
offered as a curl command whose key is a shell variable, never the key itself.
"""

from __future__ import annotations

import shlex
from dataclasses import replace

from attribtui.infra.api import V2Client
from attribtui.infra.config import Profile
from attribtui.services.models.plans import ApiRequest, ModelAction


def client_for(profile: Profile, user_id: int, key_user: int | None) -> V2Client | None:
    """A client acting as user_id, or None without a key for that user."""
    if str(user_id) in profile.api.user_keys:
        api = profile.api.for_user(user_id)
        return V2Client(replace(profile, api=api)) if api is not None else None
    return V2Client(profile) if user_id == key_user else None


def key_variable(user_id: int) -> str:
    return f"P202_API_KEY_USER{user_id}"


def curl(request: ApiRequest, user_id: int) -> str:
    """The request as a shell command; the key comes from a variable the operator sets."""
    method, _, rest = request.shown.partition(" ")
    url, _, body = rest.partition(" ")
    var = key_variable(user_id)
    head, sep, tail = url.partition("apikey=")
    tail = tail.split("&", 1)[1] if "&" in tail else ""
    url_text = shlex.quote(head + sep) + f'"${{{var}:?set user {user_id}\'s v2 key}}"'
    if tail:
        url_text += shlex.quote("&" + tail)
    words = f"curl -sS -X {method} {url_text}"
    if body:
        words += f" -H 'Content-Type: application/json' -d {shlex.quote(body)}"
    return words


def commands(action: ModelAction, user_id: int) -> list[str]:
    """Every request of the action as a command to run with user_id's key."""
    return [curl(r, user_id) for r in action.requests]
