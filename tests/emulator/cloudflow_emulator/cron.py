# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Schedule expressions as CloudFlow documents them (shared/cloudflow-flows-schedules.md 1.3):
`@every <N>m` (N >= 1), or six cron fields, seconds first, with an optional `CRON_TZ=<zone> `
prefix (UTC otherwise). Parsing and the next fire time; written independently of the
collection's own validator so that each can catch the other's mistakes.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import FrozenSet, List, Optional, Tuple

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # pragma: no cover - Python < 3.9
    ZoneInfo = None  # type: ignore[assignment,misc]
    ZoneInfoNotFoundError = KeyError  # type: ignore[assignment,misc]

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_EVERY = re.compile(r"^@every (\d+)m$")
_TZ_PREFIX = re.compile(r"^CRON_TZ=(\S+) (.*)$")
_SEARCH_DAYS = 366 * 8  # enough for any valid expression, e.g. 29 February on a Monday


class CronError(ValueError):
    """Not a valid schedule expression; the message says which part and why."""


class _Field:
    def __init__(self, label: str, low: int, high: int, specials: str,
                 names: Tuple[str, ...] = (), name_base: int = 0) -> None:
        self.label = label
        self.low = low
        self.high = high
        self.specials = specials  # which of , - * / ? are allowed
        self.names = names
        self.name_base = name_base

    def _value(self, text: str) -> int:
        upper = text.upper()
        if self.names and upper in self.names:
            return self.names.index(upper) + self.name_base
        if not text.isdigit():
            raise CronError("%s: %r is not a number%s" % (
                self.label, text, " or a name (%s-%s)" % (self.names[0], self.names[-1])
                if self.names else ""))
        value = int(text)
        if not self.low <= value <= self.high:
            raise CronError("%s: %d is outside %d-%d" % (self.label, value, self.low, self.high))
        return value

    def parse(self, text: str) -> Tuple[FrozenSet[int], bool]:
        """Answer (the matching values, True when the field is unrestricted: * or ?)."""
        for char in ",-*/?":
            if char in text and char not in self.specials:
                raise CronError("%s: %r is not allowed here" % (self.label, char))
        if text in ("*", "?"):
            return frozenset(range(self.low, self.high + 1)), True
        values = set()
        for item in text.split(","):
            if not item:
                raise CronError("%s: empty list item" % self.label)
            step = 1
            if "/" in item:
                item, step_text = item.split("/", 1)
                if not step_text.isdigit() or int(step_text) < 1:
                    raise CronError("%s: step %r must be a whole number >= 1"
                                    % (self.label, step_text))
                step = int(step_text)
            if item == "*":
                first, last = self.low, self.high
            elif "-" in item:
                first_text, last_text = item.split("-", 1)
                first, last = self._value(first_text), self._value(last_text)
                if first > last:
                    raise CronError("%s: range %s is backwards" % (self.label, item))
            elif item == "?":
                raise CronError("%s: '?' stands alone" % self.label)
            else:
                first = self._value(item)
                last = self.high if step > 1 or "/" in text else first
            values.update(range(first, last + 1, step))
        return frozenset(values), False


# The seconds field takes a plain number: no special characters (and so at most one run a minute).
FIELDS = (
    _Field("seconds", 0, 59, ""),
    _Field("minutes", 0, 59, ",-*/"),
    _Field("hours", 0, 23, ",-*/"),
    _Field("day of month", 1, 31, ",-*?/"),
    _Field("month", 1, 12, ",-*/", MONTH_NAMES, 1),
    _Field("day of week", 0, 6, ",-*?/", DAY_NAMES, 0),
)


class Schedule:
    """A parsed expression: either every `every_minutes`, or the cron field sets in `zone`."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.every_minutes: Optional[int] = None
        self.zone: Optional[timezone] = None
        self.fields: List[FrozenSet[int]] = []
        self.dom_star = self.dow_star = True
        self._parse(expression)

    def _parse(self, expression: str) -> None:
        text = expression
        every = _EVERY.match(text)
        if every:
            if int(every.group(1)) < 1:
                raise CronError("@every needs at least 1m (the shortest interval is a minute)")
            self.every_minutes = int(every.group(1))
            return
        if text.startswith("@"):
            raise CronError("only '@every <N>m' (N >= 1, minutes) is supported, got %r" % text)
        prefix = _TZ_PREFIX.match(text)
        zone_name = None
        if prefix:
            zone_name, text = prefix.group(1), prefix.group(2)
            if ZoneInfo is None:  # pragma: no cover
                raise CronError("CRON_TZ needs Python's zoneinfo")
            try:
                self.zone = ZoneInfo(zone_name)  # type: ignore[assignment]
            except (ZoneInfoNotFoundError, ValueError):
                raise CronError("CRON_TZ: unknown time zone %r" % zone_name) from None
            if text.startswith("@"):
                raise CronError("CRON_TZ applies to cron fields, not to @every")
        elif text.startswith("CRON_TZ"):
            raise CronError("the time zone prefix is 'CRON_TZ=<zone> ' followed by six fields")
        parts = text.split()
        if len(parts) != 6:
            raise CronError("expected six fields (seconds minutes hours day-of-month month "
                            "day-of-week), got %r" % text)
        for field, part in zip(FIELDS, parts):
            values, star = field.parse(part)
            self.fields.append(values)
            if field.label == "day of month":
                self.dom_star = star
            elif field.label == "day of week":
                self.dow_star = star

    # -- next fire time ---------------------------------------------------------------------
    def _day_matches(self, day: date) -> bool:
        dom = day.day in self.fields[3]
        dow = (day.weekday() + 1) % 7 in self.fields[5]
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow  # both restricted: either one matches (classic cron)

    def next_after(self, after: datetime, anchor: Optional[datetime] = None) -> Optional[datetime]:
        """The first fire time strictly after `after` (aware), as an aware UTC datetime.
        `@every` counts whole periods from `anchor` (the schedule's creation or last enable)."""
        after = after.astimezone(timezone.utc)
        if self.every_minutes is not None:
            period = timedelta(minutes=self.every_minutes)
            start = (anchor or after).astimezone(timezone.utc)
            if after < start:
                return start + period
            periods = int((after - start) / period) + 1
            return start + periods * period
        zone = self.zone or timezone.utc
        local = after.astimezone(zone)
        day = local.date()
        seconds, minutes, hours = (sorted(self.fields[0]), sorted(self.fields[1]),
                                   sorted(self.fields[2]))
        for _offset in range(_SEARCH_DAYS):
            if day.month in self.fields[4] and self._day_matches(day):
                for hour in hours:
                    for minute in minutes:
                        for second in seconds:
                            candidate = datetime(day.year, day.month, day.day, hour, minute,
                                                 second, tzinfo=zone).astimezone(timezone.utc)
                            if candidate > after:
                                return candidate
            day += timedelta(days=1)
        return None


def parse(expression: str) -> Schedule:
    return Schedule(expression)
