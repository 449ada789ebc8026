"""The calendar rhythm of legitimate spending: hour of day, day of week, part of month, season.

A customer's payment rate at an hour ``h`` of the run (``h = 0`` is midnight starting the run)
is its daily rate times ``daily[h mod 24] / sum(daily)`` (the share of a day's payments in that
hour) times three multipliers of the day ``d = h // 24``:

* ``weekly[d mod 7]`` — the run starts on a Monday;
* ``monthly[⌊(d mod 30) · k / 30⌋]`` — ``k`` equal parts of each 30-day month (``[1.2, 1, 1, 0.9]``:
  spending is higher in the first week, after most salaries);
* ``seasonal[(start_month − 1 + d // 30) mod 12]`` — one multiplier per month of the year
  (months of 30 days; December shopping, a summer lull).

Salaries keep their own calendar (each customer's payday); fraud follows its campaigns. So a
season changes how much legitimate traffic there is, never what a fraudulent row looks like.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

from simengine.scenario.models import StrictModel

__all__ = ["DAILY", "MONTH_DAYS", "WEEKLY", "RhythmSpec", "hour_weights"]

DAILY = (0.2, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.3, 1.4, 1.5, 1.6, 1.9, 1.7, 1.5, 1.5, 1.6,
         1.8, 1.9, 1.7, 1.4, 1.1, 0.7, 0.4)
"""Default hourly weights (local time): quiet nights, a lunch and an evening peak."""
WEEKLY = (0.95, 0.95, 0.97, 1.0, 1.1, 1.15, 0.88)
"""Default day-of-week multipliers, Monday first: busier Fridays and Saturdays."""
MONTH_DAYS = 30
YEAR_MONTHS = 12


def _check(name: str, values: tuple[float, ...], sizes: range | tuple[int, ...],
           what: str) -> tuple[float, ...]:
    if len(values) not in sizes:
        want = (f"{sizes[0]}" if len(sizes) == 1 else f"{sizes[0]} to {sizes[-1]}")
        raise ValueError(f"{name} needs {want} {what}; found {len(values)}")
    arr = np.asarray(values, dtype=np.float64)
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name} values must be finite and ≥ 0; found {list(values)}")
    if arr.sum() <= 0:
        raise ValueError(f"{name} needs at least one value above 0")
    return values


class RhythmSpec(StrictModel):
    """When legitimate customers pay: hourly weights and day, month-part and month multipliers
    (see :mod:`simengine.domains.fraud.rhythm`)."""

    daily: tuple[float, ...] = Field(
        default=DAILY, description="24 relative weights, hour 0 (midnight) first; only their "
        "ratios matter.")
    weekly: tuple[float, ...] = Field(default=WEEKLY,
                                      description="7 day multipliers, Monday first.")
    monthly: tuple[float, ...] = Field(
        default=(1.0,), description="Multipliers of equal parts of each 30-day month (1 to 30 "
        "values; four values: the month's weeks).")
    seasonal: tuple[float, ...] = Field(
        default=(1.0,) * YEAR_MONTHS, description="12 month multipliers, January first.")
    start_month: int = Field(default=1, ge=1, le=12,
                             description="Month of the year the run starts in (1: January).")

    @field_validator("daily")
    @classmethod
    def _daily(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        return _check("daily", v, (24,), "hourly weights (hour 0 first)")

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        return _check("weekly", v, (7,), "day multipliers (Monday first)")

    @field_validator("monthly")
    @classmethod
    def _monthly(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        return _check("monthly", v, range(1, MONTH_DAYS + 1), "multipliers (parts of a month)")

    @field_validator("seasonal")
    @classmethod
    def _seasonal(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        return _check("seasonal", v, (YEAR_MONTHS,), "month multipliers (January first)")

    def peak_day_multiplier(self) -> float:
        """The largest product of the day multipliers (sizes windows for the busiest day)."""
        return float(max(self.weekly) * max(self.monthly) * max(self.seasonal))


def hour_weights(rhythm: RhythmSpec, hours: np.ndarray) -> np.ndarray:
    """Share of a customer's daily rate falling in each hour ``hours`` of the run (integer hour
    indices from the run's start): the hourly weight times the day's multipliers."""
    hours = np.asarray(hours, dtype=np.int64)
    daily = np.asarray(rhythm.daily, dtype=np.float64)
    daily = daily / daily.sum()
    day = hours // 24
    in_month = day % MONTH_DAYS
    parts = len(rhythm.monthly)
    month = (rhythm.start_month - 1 + day // MONTH_DAYS) % YEAR_MONTHS
    return (daily[hours % 24] * np.asarray(rhythm.weekly)[day % 7]
            * np.asarray(rhythm.monthly)[in_month * parts // MONTH_DAYS]
            * np.asarray(rhythm.seasonal)[month])
