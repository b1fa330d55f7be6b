"""Probe and evict a conversion's journey cache key in memcached (docs/prosper202.md, "Cache key").

persistJourney deletes md5("attribution_journey_<conv_id>_<systemHash>") after writing a journey;
systemHash mixes in HTTP_HOST and SERVER_ADDR, which are empty in CLI runs, so the web server and
the backfill compute different keys. **Prosper202 never sets this key**: a present key was written
by something else (a fork, a plugin, a hand-run script), and is itself a finding.

Every configured server is asked about both keys (PHP's Memcache hashing is not pymemcache's, so
we cannot know which server would own a key). memcached down gives a "cache unavailable" state;
the caller keeps working. Eviction is a confirmed action, refused in read-only profiles and
recorded in the action log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from attribtui.infra import actionlog, memcache
from attribtui.infra.config import Profile
from attribtui.prosper.cachekey import CLI_SYSTEM_HASH, journey_cache_key, system_hash
from attribtui.services.actions import ActionPlan
from attribtui.vocab import JsonDict, Refused

NEVER_SET = ("Prosper202 never sets this key (it only deletes it), so a present key was written "
             "by something else and is itself a finding.")


class CacheRefused(Refused):
    """Eviction refused before touching memcached (read-only profile)."""


@dataclass(frozen=True)
class Seed:
    """One systemHash() seed: the web server's HTTP_HOST+SERVER_ADDR, or the CLI's empty one."""

    name: str  # "web" or "cli"
    label: str
    system_hash: str


@dataclass
class KeyState:
    """One key on one server: present or not, with what memcached tells about it."""

    seed: str
    key: str
    server: str
    present: bool
    size: int | None = None
    ttl: int | None = None  # seconds left, -1 = never expires
    idle: int | None = None  # seconds since last access


@dataclass
class CacheState:
    available: bool
    message: str
    seeds: list[Seed] = field(default_factory=list)
    keys: list[KeyState] = field(default_factory=list)
    evicted: int | None = None  # keys deleted by an eviction, when this state is its result

    @property
    def present(self) -> list[KeyState]:
        return [k for k in self.keys if k.present]

    def to_json(self) -> JsonDict:
        return {
            "available": self.available, "message": self.message,
            "seeds": [{"name": s.name, "label": s.label, "system_hash": s.system_hash}
                      for s in self.seeds],
            "keys": [{"seed": k.seed, "key": k.key, "server": k.server, "present": k.present,
                      "size": k.size, "ttl": k.ttl, "idle_s": k.idle} for k in self.keys],
            "evicted": self.evicted,
            "note": NEVER_SET,
        }


def seeds(profile: Profile) -> list[Seed]:
    """The web seed (from memcache.http_host/server_addr) and the CLI seed; one if they agree."""
    mc = profile.memcache
    web = system_hash(mc.http_host, mc.server_addr)
    cli = Seed("cli", "CLI (empty HTTP_HOST and SERVER_ADDR)", CLI_SYSTEM_HASH)
    if web == CLI_SYSTEM_HASH:
        return [cli]
    label = f"web (HTTP_HOST={mc.http_host!r}, SERVER_ADDR={mc.server_addr!r})"
    return [Seed("web", label, web), cli]


def keys_for(profile: Profile, conv_id: int) -> list[tuple[Seed, str]]:
    return [(s, journey_cache_key(conv_id, s.system_hash)) for s in seeds(profile)]


def _flag(flags: dict[str, str], name: str) -> int | None:
    value = flags.get(name, "")
    return int(value) if value.lstrip("-").isdigit() else None


def _meta(client: Any, key: str) -> tuple[bool, int | None, int | None, int | None]:
    """(present, size, ttl, idle) via the meta-get command; plain get on servers without it."""
    answer = client.raw_command(f"mg {key} s t l", b"\r\n").decode(errors="replace").strip()
    if answer.startswith("EN"):
        return False, None, None, None
    if answer.startswith(("HD", "VA")):
        flags = {tok[0]: tok[1:] for tok in answer.split()[1:] if tok}
        return True, _flag(flags, "s"), _flag(flags, "t"), _flag(flags, "l")
    value = client.get(key)  # memcached before 1.6 answers ERROR to mg
    return value is not None, None if value is None else len(value), None, None


def _unavailable(servers: list[str], e: Exception) -> str:
    reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e) or type(e).__name__
    return f"cache unavailable: memcached {', '.join(servers)} did not answer ({reason})"


def probe(profile: Profile, conv_id: int, timeout_s: float = 1.0) -> CacheState:
    """Is the journey key of conv_id present, under each seed, on each configured server?"""
    servers = list(profile.memcache.servers)
    pairs = keys_for(profile, conv_id)
    found_seeds = [s for s, _ in pairs]
    if not servers:
        return CacheState(False, "cache not configured (memcache.servers is empty)", found_seeds)
    states: list[KeyState] = []
    try:
        for server in servers:
            client = memcache.client(server, timeout_s)
            try:
                for seed, key in pairs:
                    present, size, ttl, idle = _meta(client, key)
                    states.append(KeyState(seed.name, key, server, present, size, ttl, idle))
            finally:
                client.close()
    except Exception as e:  # OSError, timeouts and pymemcache's protocol errors alike
        return CacheState(False, _unavailable(servers, e), found_seeds)
    hits = [k for k in states if k.present]
    if hits:
        where = ", ".join(f"{k.seed} key on {k.server}" for k in hits)
        message = f"PRESENT ({where}): {NEVER_SET}"
    else:
        message = "absent under every seed (expected: Prosper202 never sets this key)"
    return CacheState(True, message, found_seeds, states)


def evict_plan(profile: Profile, conv_id: int) -> ActionPlan:
    pairs = keys_for(profile, conv_id)
    servers = ", ".join(profile.memcache.servers) or "(no servers configured)"
    return ActionPlan(
        title=f"Evict the journey cache keys of conversion {conv_id}",
        effects=[
            f"Deletes {len(pairs)} key(s) on memcached {servers}: "
            + "; ".join(f"{key} ({seed.name} seed)" for seed, key in pairs) + ".",
            "Prosper202 never sets these keys, so this only removes a value someone else wrote; "
            "the journey rows in the database are not touched.",
        ],
        request="; ".join(f"delete {key}" for _, key in pairs),
    )


def evict(profile: Profile, conv_id: int, timeout_s: float = 1.0) -> CacheState:
    """Delete both keys on every server (after confirmation) and record it; read-only refuses."""
    if profile.read_only:
        raise CacheRefused(f"profile '{profile.name}' is read-only: cache eviction is not "
                           "available; use a profile without read_only = true")
    servers = list(profile.memcache.servers)
    pairs = keys_for(profile, conv_id)
    params = {"conv_id": conv_id, "entries": [k for _, k in pairs], "servers": servers}
    if not servers:
        state = CacheState(False, "cache not configured (memcache.servers is empty)")
        actionlog.record("journey.cache_evict", profile=profile, target=f"conv {conv_id}",
                         params=params, result="not configured")
        return state
    deleted = 0
    try:
        for server in servers:
            client = memcache.client(server, timeout_s)
            try:
                for _, key in pairs:
                    deleted += bool(client.delete(key, noreply=False))
            finally:
                client.close()
    except Exception as e:  # noqa: BLE001 - reported, recorded, never raised to the UI
        message = _unavailable(servers, e)
        actionlog.record("journey.cache_evict", profile=profile, target=f"conv {conv_id}",
                         params=params, result=f"failed: {message}")
        return CacheState(False, message, [s for s, _ in pairs])
    actionlog.record("journey.cache_evict", profile=profile, target=f"conv {conv_id}",
                     params=params, result=f"deleted {deleted} key(s)")
    state = probe(profile, conv_id, timeout_s)
    state.evicted = deleted
    return state


def evict_many(profile: Profile, conv_ids: Iterable[int]) -> str:
    """Delete the journey cache keys (both seeds) on every server; a one-line outcome."""
    conv_ids = list(conv_ids)
    servers = list(profile.memcache.servers)
    if not servers:
        return "cache not configured (memcache.servers is empty): no keys evicted"
    if not conv_ids:
        return "no keys to evict"
    keys = [key for c in conv_ids for _, key in keys_for(profile, c)]
    try:
        for server in servers:
            client = memcache.client(server, 1.0)
            try:
                for i in range(0, len(keys), 100):
                    client.delete_many(keys[i:i + 100], noreply=False)
            finally:
                client.close()
    except Exception as e:  # noqa: BLE001 - memcached down must not undo a finished purge
        return f"cache unavailable ({type(e).__name__}): {len(keys)} key(s) not evicted"
    return f"evicted {len(keys)} key(s) on {', '.join(servers)}"
