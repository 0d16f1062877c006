# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""CloudFlow schedule expressions: local validation and fire-time computation.

What the service documents (reference section 1.3, "Cron / schedule expression format"):
- two forms: ``@every <N>m`` (unit m only) and a six-field cron, seconds first:
  ``Seconds Minutes Hours Day-of-month Month Day-of-week``;
- the minimum interval is one minute; anything shorter is rejected as invalid input;
- cron runs in UTC unless prefixed with ``CRON_TZ=<zone> ``;
- seconds 0-59 with no special characters; minutes and hours allow ``, - * /``; day-of-month allows
  ``, - * ? /``; months are 1-12 or JAN-DEC; ``?`` is used in the day fields.
The reference says nothing more for month and day-of-week; they take ``, - * /`` (and ``?`` for day-of-week),
names (JAN-DEC, SUN-SAT) and 0-6 with 0 for Sunday, as the Go cron dialect the syntax comes from does.
Because the seconds field is one number, a valid cron fires at most once a minute.
"""

from __future__ import annotations

import re
import typing as t
from datetime import date, datetime, timedelta, timezone

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import CloudFlowError, ConfigurationError

if t.TYPE_CHECKING:
    from datetime import tzinfo

TZ_PREFIX = "CRON_TZ="
EVERY_PREFIX = "@every"
FIELD_ORDER = "seconds minutes hours day-of-month month day-of-week"
EXAMPLE = "'0 30 4 ? * MON-FRI', 'CRON_TZ=Asia/Shanghai 0 0 12 * * *' or '@every 5m'"
MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# How far next_fire_time looks ahead: an expression such as '0 0 0 29 2 MON' fires about once in 28 years.
NEXT_FIRE_HORIZON_DAYS = 366 * 29

# The most days each month can have (February 29 in leap years).
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_EVERY = re.compile(r"^@every\s+(\d+)([A-Za-z]*)$")
_NUMBER = re.compile(r"^\d+$")
_ZONE = re.compile(r"^[A-Za-z0-9_+\-/]+$")


class _Field(t.NamedTuple):
    label: str
    low: int
    high: int
    names: t.Tuple[str, ...]  # names for low, low + 1, ...
    allowed: str  # special characters beyond digits
    rule: str


_FIELDS = (
    _Field("seconds", 0, 59, (), "", "a single number 0-59 with no special characters (the service's minimum interval is one minute)"),
    _Field("minutes", 0, 59, (), ",-*/", "0-59 with , - * /"),
    _Field("hours", 0, 23, (), ",-*/", "0-23 with , - * /"),
    _Field("day-of-month", 1, 31, (), ",-*?/", "1-31 with , - * ? /"),
    _Field("month", 1, 12, MONTH_NAMES, ",-*/", "1-12 or JAN-DEC with , - * /"),
    _Field("day-of-week", 0, 6, WEEKDAY_NAMES, ",-*?/", "0-6 (0 is Sunday) or SUN-SAT with , - * ? /"),
)


class Schedule(t.NamedTuple):
    """A parsed expression: either every_minutes is set, or the cron field sets are."""

    text: str
    zone: t.Optional[str]
    every_minutes: t.Optional[int]
    second: int
    minutes: t.Tuple[int, ...]
    hours: t.Tuple[int, ...]
    days_of_month: t.FrozenSet[int]
    months: t.FrozenSet[int]
    days_of_week: t.FrozenSet[int]  # 0 is Sunday
    # Cron's day rule: when both day fields are restricted a day matches either; otherwise it must match both.
    days_either: bool


def _value(field: _Field, text: str, fail: t.Callable[[str], t.NoReturn]) -> int:
    upper = text.upper()
    if upper in field.names:
        return field.low + field.names.index(upper)
    if not _NUMBER.match(text):
        fail("{0!r} is not a number{1}".format(text, " or a name" if field.names else ""))
    number = int(text)
    if not field.low <= number <= field.high:
        fail("{0} is out of range".format(number))
    return number


def _parse_field(option: str, field: _Field, text: str) -> t.Tuple[t.FrozenSet[int], bool]:
    """The values a field allows, and whether it is unrestricted ('*' or '?' without a step)."""

    def fail(problem: str) -> t.NoReturn:
        raise ConfigurationError(
            option, "the {0} field {1!r} is invalid: {2}; it must be {3}".format(field.label, text, problem, field.rule)
        )

    stray = sorted({char for char in text if not (char.isalnum() or char in field.allowed)})
    if stray:
        fail("{0} not allowed here".format(" ".join(repr(char) for char in stray)))
    values: t.Set[int] = set()
    unrestricted = False
    for part in text.split(","):
        if not part:
            fail("an empty list item")
        range_text, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not _NUMBER.match(step_text) or int(step_text) < 1:
                fail("the step {0!r} must be a whole number of at least 1".format(step_text))
            step = int(step_text)
        if range_text in ("*", "?"):
            if range_text == "?" and slash:
                fail("'?' takes no step")
            low, high = field.low, field.high
            unrestricted = unrestricted or step == 1
        else:
            start_text, dash, end_text = range_text.partition("-")
            low = _value(field, start_text, fail)
            # 'N/step' runs from N to the end of the field's range.
            high = _value(field, end_text, fail) if dash else (field.high if slash else low)
            if low > high:
                fail("the range {0!r} runs backwards".format(range_text))
        values.update(range(low, high + 1, step))
    return frozenset(values), unrestricted


def _parse_zone(option: str, zone: str) -> None:
    if not zone or not _ZONE.match(zone) or zone.startswith("/") or ".." in zone:
        raise ConfigurationError(option, "CRON_TZ={0!r} is not a time zone name such as Asia/Shanghai or UTC".format(zone))
    try:
        import zoneinfo  # pylint: disable=import-outside-toplevel
    except ImportError:
        return  # Python 3.8: the name can only be checked by the service.
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # Without any time zone database on this host every name would fail: leave the check to the service.
        if zoneinfo.available_timezones():
            raise ConfigurationError(option, "CRON_TZ={0!r} is not a known IANA time zone name such as Asia/Shanghai".format(zone))


def parse_schedule_expression(option: str, value: str) -> Schedule:
    """Parse an expression; raise ConfigurationError naming the option and the rule it breaks.

    Besides the syntax, a cron whose days never occur (day 30 of February, day 31 of April and June) is refused,
    so that a schedule that can never fire is not created.
    """
    schedule = _parse(option, value)
    _refuse_impossible_days(option, schedule)
    return schedule


def _refuse_impossible_days(option: str, schedule: Schedule) -> None:
    """Refuse a cron whose day-of-month field names no day that occurs in any month of its month field.

    That can only happen while the day-of-week field is unrestricted ('*' or '?'): with both day fields restricted a
    day matching either fires (every month has every weekday), and an unrestricted day-of-month field includes days
    1-28. February counts with 29 days (leap years).
    """
    if schedule.every_minutes is not None or schedule.days_either:
        return
    longest = max(_MONTH_DAYS[month - 1] for month in schedule.months)
    if min(schedule.days_of_month) > longest:
        day_text = schedule.text.split()[-3]
        months = ",".join(MONTH_NAMES[month - 1] for month in sorted(schedule.months))
        raise ConfigurationError(
            option,
            "day-of-month {0} never occurs in month(s) {1} (at most {2} days), so the schedule would never fire; the "
            "day-of-month field must name a day that one of its months has".format(day_text, months, longest),
        )


def _parse(option: str, value: str) -> Schedule:
    """The syntax of an expression (parse_schedule_expression without the check that its days occur)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(option, "must be a schedule expression such as {0}; got {1!r}".format(EXAMPLE, value))
    words = value.split()
    zone = None
    if words[0].startswith(TZ_PREFIX):
        zone = words[0][len(TZ_PREFIX):]
        _parse_zone(option, zone)
        words = words[1:]
        if words and words[0].startswith("@"):
            raise ConfigurationError(option, "CRON_TZ= applies to six-field cron expressions only, not to {0!r}".format(" ".join(words)))
    if words and words[0].startswith("@"):
        match = _EVERY.match(" ".join(words))
        if not match:
            raise ConfigurationError(
                option, "{0!r} is not supported: the only '@' form is '@every <N>m', a whole number of minutes".format(value.strip())
            )
        count, unit = int(match.group(1)), match.group(2)
        if unit != "m":
            raise ConfigurationError(
                option,
                "'@every' takes whole minutes with the unit m (for example '@every 5m'; the minimum interval is one minute); got {0!r}".format(
                    value.strip()
                ),
            )
        if count < 1:
            raise ConfigurationError(option, "'@every {0}m' is shorter than the service's minimum interval of one minute".format(match.group(1)))
        text = "{0} {1}m".format(EVERY_PREFIX, match.group(1))
        return Schedule(text, None, count, 0, (), (), frozenset(), frozenset(), frozenset(), False)
    if len(words) != 6:
        hint = ""
        if len(words) == 5:
            hint = " A five-field Unix cron needs a leading seconds field, for example '0 {0}'.".format(" ".join(words))
        raise ConfigurationError(
            option,
            "must have six fields ({0}) after an optional CRON_TZ=<zone> prefix, or be '@every <N>m'; got {1} field{2} in {3!r}.{4}".format(
                FIELD_ORDER, len(words), "" if len(words) == 1 else "s", value.strip(), hint
            ),
        )
    seconds, minutes, hours, days_of_month, months, days_of_week = (_parse_field(option, field, word) for field, word in zip(_FIELDS, words))
    text = " ".join(([TZ_PREFIX + zone] if zone is not None else []) + words)
    return Schedule(
        text,
        zone,
        None,
        min(seconds[0]),
        tuple(sorted(minutes[0])),
        tuple(sorted(hours[0])),
        days_of_month[0],
        months[0],
        days_of_week[0],
        not days_of_month[1] and not days_of_week[1],
    )


def validate_schedule_expression(option: str, value: str) -> str:
    """The expression with its whitespace normalised, or ConfigurationError naming the option and the rule."""
    return parse_schedule_expression(option, value).text


def _zone_info(schedule: Schedule) -> tzinfo:
    if schedule.zone is None or schedule.zone.upper() in ("UTC", "ETC/UTC"):
        return timezone.utc
    try:
        import zoneinfo  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise CloudFlowError("Evaluating CRON_TZ={0} needs Python 3.9 or later (zoneinfo)".format(schedule.zone))
    try:
        return zoneinfo.ZoneInfo(schedule.zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise CloudFlowError("Time zone {0!r} of schedule {1!r} is not known on this host".format(schedule.zone, schedule.text))


def _day_matches(schedule: Schedule, day: date) -> bool:
    if day.month not in schedule.months:
        return False
    in_month = day.day in schedule.days_of_month
    in_week = (day.isoweekday() % 7) in schedule.days_of_week
    return (in_month or in_week) if schedule.days_either else (in_month and in_week)


def _fires_on(schedule: Schedule, day: date, zone: tzinfo, descending: bool) -> t.Iterator[datetime]:
    """The fire instants of one local day, in UTC, in wall-clock order.

    Around DST changes the service may skip or repeat runs (reference 1.3; which, is not documented). Here a
    wall time that does not exist that day is skipped, as the Go cron library whose syntax CloudFlow's matches
    does (ISC cron would run it at the change instead), and a repeated one fires once, at its first
    occurrence. That also keeps instants in the same order as wall times, which the searches rely on.
    """
    hours = tuple(reversed(schedule.hours)) if descending else schedule.hours
    minutes = tuple(reversed(schedule.minutes)) if descending else schedule.minutes
    for hour in hours:
        for minute in minutes:
            wall = datetime(day.year, day.month, day.day, hour, minute, schedule.second, tzinfo=zone)
            fire = wall.astimezone(timezone.utc)
            if zone is not timezone.utc and fire.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
                continue
            yield fire


def _check_aware(**moments: t.Optional[datetime]) -> None:
    for label, moment in moments.items():
        if moment is not None and moment.utcoffset() is None:
            raise ValueError("{0} must be a timezone-aware datetime".format(label))


def latest_fire_time(expression: str, after: datetime, until: datetime, anchor: t.Optional[datetime] = None) -> t.Optional[datetime]:
    """The last time the schedule fires in (after, until], in UTC, or None when it does not fire in that window.

    '@every <N>m' fires at anchor + k * N minutes for k >= 1, the anchor being after unless given (the service's
    own phase is not documented). Cron is evaluated in its CRON_TZ zone, UTC by default. Cost: one step per
    local day of the window, plus at most one step per fire time of the last day.
    A cron whose days never occur (day 30 of February), which parse_schedule_expression refuses, gives None here
    instead of an error (as next_fire_time, fire_times and count_fire_times give none and 0): a schedule made
    elsewhere, or before that check, may carry one and simply never fires.
    """
    _check_aware(after=after, until=until, anchor=anchor)
    schedule = _parse("expression", expression)
    if until <= after:
        return None
    if schedule.every_minutes is not None:
        start = anchor if anchor is not None else after
        period = timedelta(minutes=schedule.every_minutes)
        count = (until - start) // period
        if count < 1:
            return None
        fire = start + count * period
        return fire.astimezone(timezone.utc) if fire > after else None
    zone = _zone_info(schedule)
    first_day = after.astimezone(zone).date() - timedelta(days=1)
    day = until.astimezone(zone).date() + timedelta(days=1)
    while day >= first_day:
        if _day_matches(schedule, day):
            for fire in _fires_on(schedule, day, zone, descending=True):
                if fire <= after:
                    return None
                if fire <= until:
                    return fire
        day -= timedelta(days=1)
    return None


def next_fire_time(expression: str, after: datetime, anchor: t.Optional[datetime] = None) -> t.Optional[datetime]:
    """The first time the schedule fires after the given moment, in UTC; None for a cron that never fires
    within about 29 years (for example day 30 of February)."""
    _check_aware(after=after, anchor=anchor)
    schedule = _parse("expression", expression)
    if schedule.every_minutes is not None:
        start = anchor if anchor is not None else after
        period = timedelta(minutes=schedule.every_minutes)
        count = max(1, (after - start) // period + 1)
        return (start + count * period).astimezone(timezone.utc)
    zone = _zone_info(schedule)
    day = after.astimezone(zone).date() - timedelta(days=1)
    for _day_number in range(NEXT_FIRE_HORIZON_DAYS):
        if _day_matches(schedule, day):
            for fire in _fires_on(schedule, day, zone, descending=False):
                if fire > after:
                    return fire
        day += timedelta(days=1)
    return None


def fire_times(expression: str, after: datetime, until: datetime, anchor: t.Optional[datetime] = None) -> t.Iterator[datetime]:
    """Every time the schedule fires in (after, until], in UTC, earliest first (same rules as latest_fire_time)."""
    _check_aware(after=after, until=until, anchor=anchor)
    schedule = _parse("expression", expression)
    if until <= after:
        return
    if schedule.every_minutes is not None:
        start = anchor if anchor is not None else after
        period = timedelta(minutes=schedule.every_minutes)
        count = max(1, (after - start) // period + 1)
        fire = start + count * period
        while fire <= until:
            yield fire.astimezone(timezone.utc)
            fire += period
        return
    zone = _zone_info(schedule)
    day = after.astimezone(zone).date() - timedelta(days=1)
    last_day = until.astimezone(zone).date() + timedelta(days=1)
    while day <= last_day:
        if _day_matches(schedule, day):
            for fire in _fires_on(schedule, day, zone, descending=False):
                if fire > until:
                    return
                if fire > after:
                    yield fire
        day += timedelta(days=1)


def count_fire_times(
    expression: str, after: datetime, until: datetime, anchor: t.Optional[datetime] = None, keep: int = 5
) -> t.Tuple[int, t.List[datetime]]:
    """How many times the schedule fires in (after, until], and the first `keep` of those times.

    '@every' windows are counted arithmetically; a cron is walked fire by fire (at most one a minute, so a
    month-long window costs about 44,000 steps at worst).
    """
    schedule = _parse("expression", expression)
    first = []  # type: t.List[datetime]
    if schedule.every_minutes is not None:
        for fire in fire_times(expression, after, until, anchor):
            if len(first) == keep:
                break
            first.append(fire)
        if not first:
            return 0, first
        period = timedelta(minutes=schedule.every_minutes)
        return (until - first[0]) // period + 1, first
    count = 0
    for fire in fire_times(expression, after, until, anchor):
        count += 1
        if len(first) < keep:
            first.append(fire)
    return count, first
