"""The report month: a local calendar month ``[first day, first day of next month)``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ecore_xl.errors import UsageError

__all__ = ["ReportMonth"]

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


@dataclass(frozen=True)
class ReportMonth:
    """One calendar month in a time zone; ``start``/``end`` are local dates (end exclusive)."""

    year: int
    month: int
    timezone: str = "Europe/Berlin"

    @classmethod
    def parse(cls, text: str | dt.date, timezone: str = "Europe/Berlin") -> ReportMonth:
        """``2026-10`` (or a date inside the month) → the month; UsageError if malformed."""
        if isinstance(text, dt.date):
            return cls(text.year, text.month, timezone)
        match = _MONTH.match(str(text))
        if not match or not 1 <= int(match[2]) <= 12:
            raise UsageError(f"Month {text!r} is not a month: write it as YYYY-MM, e.g. 2026-10.")
        return cls(int(match[1]), int(match[2]), timezone)

    @property
    def start(self) -> dt.date:
        """First day of the month."""
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        """First day of the next month (exclusive end)."""
        return dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def last_day(self) -> dt.date:
        """Last day of the month."""
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> list[dt.date]:
        """Every local day of the month."""
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days)]

    @property
    def year_start(self) -> dt.date:
        """1 January of the month's year."""
        return dt.date(self.year, 1, 1)

    @property
    def year_end(self) -> dt.date:
        """1 January of the following year."""
        return dt.date(self.year + 1, 1, 1)

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The month as aware UTC instants (local midnights converted)."""
        tz = ZoneInfo(self.timezone)
        return tuple(  # type: ignore[return-value]
            dt.datetime.combine(d, dt.time(), tz).astimezone(dt.UTC) for d in (self.start, self.end)
        )

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def name(self) -> str:
        """``October 2026``."""
        return f"{_MONTH_NAMES[self.month - 1]} {self.year}"
