"""Multi-touch settings resolution (docs/prosper202.md, "Multi-touch settings").

Pure, so the settings checks and the rollback screen can say which row decides a conversion and
how much a disabled row makes purge-disabled-journeys.php delete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SCOPE_TYPES = (
    "global",
    "account",
    "advertiser",
    "campaign",
    "adgroup",
    "landing_page",
    "traffic_source",
)


@dataclass(frozen=True)
class SettingRow:
    """The part of a 202_attribution_settings row that decides multi-touch."""

    scope_type: str
    scope_id: int | None
    multi_touch_enabled: bool


def _positive(value: int | None) -> int | None:
    # The PHP keeps only positive ids (optionalPositiveInt); 0 or less means "not given".
    return value if value is not None and value > 0 else None


def is_multi_touch_enabled(
    rows: Iterable[SettingRow], advertiser_id: int | None, campaign_id: int | None
) -> tuple[bool, str]:
    """(enabled, deciding scope): default -> global -> advertiser:N -> campaign:N.

    Rows are one user's. Other scope types and rows with the wrong id shape are ignored. For
    duplicate rows of one scope (possible for global, whose NULL id escapes the UNIQUE keys) the
    last one given wins, as the PHP lookup map is filled in row order; pass rows by setting_id.
    """
    advertiser_id, campaign_id = _positive(advertiser_id), _positive(campaign_id)
    wanted: dict[tuple[str, int | None], str] = {("global", None): "global"}
    if advertiser_id is not None:
        wanted[("advertiser", advertiser_id)] = f"advertiser:{advertiser_id}"
    if campaign_id is not None:
        wanted[("campaign", campaign_id)] = f"campaign:{campaign_id}"
    found: dict[str, bool] = {}
    for row in rows:
        scope = wanted.get((row.scope_type, row.scope_id))
        if scope is not None:
            found[scope] = row.multi_touch_enabled
    decision: tuple[bool, str] = (True, "default")
    for scope in ("global", f"advertiser:{advertiser_id}", f"campaign:{campaign_id}"):
        if scope in found:
            decision = (found[scope], scope)
    return decision


def purge_blast_radius(scope_type: str, scope_id: int | None) -> str:
    """What purging a disabled row deletes: "campaign", "advertiser", "nothing" or "all".

    "all" means every journey of the user: any type other than campaign/advertiser, or a campaign
    row without an id (purgeByScope then adds no campaign filter).
    """
    if scope_type == "campaign" and scope_id is not None:
        return "campaign"
    if scope_type == "advertiser":
        return "advertiser" if scope_id is not None else "nothing"
    return "all"


class SettingsError(Exception):
    def __init__(self, php_class: str, message: str) -> None:
        super().__init__(message)
        self.php_class, self.message = php_class, message


def scope_ids(scope: dict[str, object]) -> tuple[int, int | None, int | None]:
    def pick(key: str) -> int | None:
        value = scope.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
            else None

    user = pick("user_id")
    if user is None:
        raise SettingsError("InvalidArgumentException", "Invalid user identifier supplied.")
    return user, pick("advertiser_id"), pick("campaign_id")
