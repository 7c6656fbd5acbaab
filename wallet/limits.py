"""Limits per customer tier: the largest balance and the most a wallet may spend in a day."""

import json
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class TierLimits:
    max_balance_minor: int | None
    max_daily_debits_minor: int | None


def parse_tier_limits(text: str) -> dict[str, TierLimits]:
    """Parse TIER_LIMITS, a JSON object of tier name to its two limits in minor units.

    Example: {"basic": {"max_balance_minor": 30000000, "max_daily_debits_minor": 5000000}}.
    A missing or null limit means no limit.

    :raises ValueError: the text is not such an object.
    """
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"TIER_LIMITS is not valid JSON: {error}") from None
    if not isinstance(raw, dict) or "basic" not in raw:
        raise ValueError("TIER_LIMITS must be a JSON object with at least the tier 'basic'")
    tiers = {}
    for tier, limits in raw.items():
        values = {}
        for name in ("max_balance_minor", "max_daily_debits_minor"):
            value = (limits or {}).get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
                raise ValueError(f"TIER_LIMITS: {tier}.{name} must be a positive integer or null, not {value!r}")
            values[name] = value
        tiers[tier] = TierLimits(**values)
    return tiers


def limits_for(tiers: dict[str, TierLimits], tier: str) -> TierLimits:
    """Return a tier's limits; an unknown tier gets the strictest, `basic`."""
    return tiers.get(tier, tiers["basic"])


def business_day(moment: datetime, timezone: str) -> date:
    """Return the calendar day of `moment` in the business's time zone (daily limits reset then)."""
    return moment.astimezone(ZoneInfo(timezone)).date()
