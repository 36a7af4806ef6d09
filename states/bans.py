"""Fraud bans: the years after the application year in which the person may not apply."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo


def banned_years(fraud_year: int, ban_years: int) -> range:
    """Fraud in a 2024 application bans 2025, 2026 and 2027."""
    return range(fraud_year + 1, fraud_year + 1 + ban_years)


def ban_ends_at(fraud_year: int, ban_years: int, zone: ZoneInfo) -> datetime:
    """00:00 on 1 January after the last banned year, in the notice's time zone."""
    return datetime.combine(date(fraud_year + ban_years + 1, 1, 1), time(0), tzinfo=zone)
