"""The rules a case is held to: statement window, hearing, fine limits and referral thresholds.

Defaults follow the administrative penalty practice of copyright enforcement; each is a setting:

* the party may make statements for ``statement_window_days`` (7) after the advance notice is
  served, and no decision comes before that window ends;
* a fine above ``hearing_fine_threshold`` (100,000 yuan) needs a hearing first;
* a fine may reach ``fine_volume_multiple`` (5) times the illegal business volume once that
  volume is ``fine_volume_floor`` (50,000 yuan) or more, and ``fine_cap`` (250,000 yuan) otherwise
  (the limits of the Copyright Law's article 53);
* a case is flagged for referral to public security or judicial organs when a measure reaches its
  threshold (500 works, 50,000 clicks, 1,000 paid members, 30,000 yuan illegal gains, 50,000 yuan
  business volume), or when two measures each reach half of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from jianwang.config import Settings
from jianwang.errors import UserError

MEASURES = ("warning", "fine", "confiscation", "shutdown")
"""Administrative measures a decision may combine."""

ORGANS = ("public_security", "judicial")

MAX_AMOUNT = Decimal("999999999999.99")
"""The largest sum a case records (its columns hold 14 digits, 2 of them for fen)."""
"""Where a case may be referred."""


@dataclass(frozen=True)
class Thresholds:
    """Referral thresholds, one per measure of a case."""

    works: int
    clicks: int
    paid_members: int
    illegal_gains: Decimal
    business_volume: Decimal


@dataclass(frozen=True)
class CasePolicy:
    """Everything the case guards compare against, read once from the settings."""

    statement_window: timedelta
    hearing_fine_threshold: Decimal
    fine_cap: Decimal
    fine_volume_floor: Decimal
    fine_volume_multiple: Decimal
    decision_period: timedelta
    referral: Thresholds

    @classmethod
    def from_settings(cls, settings: Settings) -> CasePolicy:
        return cls(
            statement_window=timedelta(days=settings.statement_window_days),
            hearing_fine_threshold=_money(settings.hearing_fine_threshold),
            fine_cap=_money(settings.fine_cap),
            fine_volume_floor=_money(settings.fine_volume_floor),
            fine_volume_multiple=Decimal(str(settings.fine_volume_multiple)),
            decision_period=timedelta(days=settings.case_decision_days),
            referral=Thresholds(
                works=settings.referral_works,
                clicks=settings.referral_clicks,
                paid_members=settings.referral_members,
                illegal_gains=_money(settings.referral_gains),
                business_volume=_money(settings.referral_volume),
            ),
        )

    def max_fine(self, business_volume: Decimal | None) -> Decimal:
        """The largest fine the law allows given the case's illegal business volume."""
        if business_volume is not None and business_volume >= self.fine_volume_floor:
            return max(self.fine_cap, _money(business_volume * self.fine_volume_multiple))
        return self.fine_cap


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def parse_amount(value: str | float | Decimal, *, what: str) -> Decimal:
    """A sum of money in yuan: finite, not negative, at most two decimals (fen)."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise UserError(f"{what} {value!r} is not an amount of yuan") from None
    if not amount.is_finite():
        raise UserError(f"{what} {value!r} is not an amount of yuan")
    if amount < 0:
        raise UserError(f"{what} cannot be negative ({value})")
    if amount > MAX_AMOUNT:
        raise UserError(f"{what} {value} is more than {MAX_AMOUNT} yuan")
    if amount != amount.quantize(Decimal("0.01")):
        raise UserError(f"{what} {value} has more than two decimals (fen)")
    return amount.quantize(Decimal("0.01"))


def parse_measures(value: str | None) -> tuple[str, ...]:
    """``"fine, shutdown"`` → ``("fine", "shutdown")`` in a fixed order; unknown ones refused."""
    if value is None or not value.strip():
        return ()
    given = {part.strip().lower() for part in value.split(",") if part.strip()}
    unknown = sorted(given - set(MEASURES))
    if unknown:
        raise UserError(
            f"unknown measure {unknown[0]!r}: a decision combines {', '.join(MEASURES)}"
        )
    return tuple(m for m in MEASURES if m in given)


@dataclass(frozen=True)
class CaseMeasures:
    """What a case establishes about the infringement's scale (None: not established)."""

    works: int | None = None
    copies: int | None = None
    clicks: int | None = None
    paid_members: int | None = None
    illegal_gains: Decimal | None = None
    business_volume: Decimal | None = None


def referral_flags(measures: CaseMeasures, thresholds: Thresholds) -> list[str]:
    """The reasons the measures call for referral; empty when they do not.

    Each measure at or over its threshold is one reason; failing that, two measures each at or
    over half of theirs together are one."""
    pairs: list[tuple[str, Decimal | int | None, Decimal | int]] = [
        ("works", measures.works, thresholds.works),
        ("clicks", measures.clicks, thresholds.clicks),
        ("paid members", measures.paid_members, thresholds.paid_members),
        ("illegal gains (yuan)", measures.illegal_gains, thresholds.illegal_gains),
        ("business volume (yuan)", measures.business_volume, thresholds.business_volume),
    ]
    flags = [
        f"{name} {value} reaches the threshold {limit}"
        for name, value, limit in pairs
        if value is not None and value >= limit
    ]
    if flags:
        return flags
    halves = [
        f"{name} {value} ≥ half of {limit}"
        for name, value, limit in pairs
        if value is not None and Decimal(value) * 2 >= Decimal(limit)
    ]
    if len(halves) >= 2:
        return ["two measures reach half their thresholds: " + "; ".join(halves)]
    return []
