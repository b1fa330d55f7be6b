"""Multi-touch settings resolution (docs/prosper202.md, "Multi-touch settings").

Pure, so the settings checks and the rollback screen can say which row decides a conversion and
how much a disabled row makes purge-disabled-journeys.php delete. Checked against upstream's
isMultiTouchEnabled on MariaDB in both layouts by tools/conformance (golden files
tests/golden/settings.json and settings_1956.json).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from attribtui.prosper.php import php_int, php_is_numeric

SCOPE_TYPES = (
    "global",
    "account",
    "advertiser",
    "campaign",
    "adgroup",
    "landing_page",
    "traffic_source",
)


ENUM = "Prosper202\\Attribution\\ScopeType"
MSG_USER = "Invalid user identifier supplied."


class SettingsError(Exception):
    """What isMultiTouchEnabled throws: an InvalidArgumentException for a bad user id, or the
    ValueError of ScopeType::from for a row its query matched but cannot hydrate (MariaDB
    matched 'GLOBAL' or 'global ' to 'global'). The backfill then dies with exit 255."""

    def __init__(self, php_class: str, message: str) -> None:
        super().__init__(message)
        self.php_class, self.message = php_class, message


@dataclass(frozen=True)
class SettingRow:
    """The part of a 202_attribution_settings row that decides multi-touch.

    ``multi_touch_enabled`` is False for a row of the 1.9.56 layout (no such column: upstream
    reads null, hence disabled). ``collates_as`` is the scope type the database's collation
    matched (utf8mb4_general_ci ignores case, accents and trailing spaces); None means the stored
    type itself.
    """

    scope_type: str
    scope_id: int | None
    multi_touch_enabled: bool
    collates_as: str | None = None


def _positive(value: int | None) -> int | None:
    # The PHP keeps only positive ids (optionalPositiveInt); 0 or less means "not given".
    return value if value is not None and value > 0 else None


def _first_positive(scope: Mapping[str, object], keys: tuple[str, ...]) -> int | None:
    """requirePositiveInt / optionalPositiveInt: the first key present whose value is numeric
    and casts to an int above 0."""
    for key in keys:
        if key in scope and php_is_numeric(scope[key]):
            value = php_int(scope[key])
            if value > 0:
                return value
    return None


def scope_ids(scope: Mapping[str, object]) -> tuple[int, int | None, int | None]:
    """(user_id, advertiser_id, campaign_id) as isMultiTouchEnabled reads its scope array
    (snake_case keys first, then camelCase); raises SettingsError for a missing user id."""
    user = _first_positive(scope, ("user_id", "userId"))
    if user is None:
        raise SettingsError("InvalidArgumentException", MSG_USER)
    return (user, _first_positive(scope, ("advertiser_id", "advertiserId")),
            _first_positive(scope, ("campaign_id", "campaignId")))


def is_multi_touch_enabled(
    rows: Iterable[SettingRow], advertiser_id: int | None, campaign_id: int | None
) -> tuple[bool, str]:
    """(enabled, deciding scope): default -> global -> advertiser:N -> campaign:N.

    Rows are one user's. Other scope types and rows with the wrong id shape are ignored. For
    duplicate rows of one scope (possible for global, whose NULL id escapes the UNIQUE keys) the
    last one given wins, as the PHP lookup map is filled in row order; pass rows by setting_id.
    A row that matches a wanted scope only through the collation ('GLOBAL') raises
    SettingsError, as ScopeType::from does upstream.
    """
    advertiser_id, campaign_id = _positive(advertiser_id), _positive(campaign_id)
    wanted: dict[tuple[str, int | None], str] = {("global", None): "global"}
    if advertiser_id is not None:
        wanted[("advertiser", advertiser_id)] = f"advertiser:{advertiser_id}"
    if campaign_id is not None:
        wanted[("campaign", campaign_id)] = f"campaign:{campaign_id}"
    found: dict[str, bool] = {}
    for row in rows:
        scope = wanted.get((row.collates_as or row.scope_type, row.scope_id))
        if scope is None:
            continue
        if row.scope_type not in SCOPE_TYPES:
            shown = row.scope_type.split("\x00", 1)[0]
            raise SettingsError(
                "ValueError", f'"{shown}" is not a valid backing value for enum {ENUM}')
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

