# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Schedule expressions: the reference's valid and invalid forms, and fire times (UTC, CRON_TZ, @every, DST)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._cron import (
    count_fire_times,
    fire_times,
    latest_fire_time,
    next_fire_time,
    parse_schedule_expression,
    validate_schedule_expression,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError

UTC = timezone.utc


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


@pytest.mark.parametrize("expression, normalised", [
    # the reference's examples
    ("@every 5m", "@every 5m"),
    ("@every 90m", "@every 90m"),
    ("0 * * * * *", "0 * * * * *"),
    ("0 0 4 * * *", "0 0 4 * * *"),
    ("0 30 4 ? * MON-FRI", "0 30 4 ? * MON-FRI"),
    ("CRON_TZ=Asia/Shanghai 0 0 12 * * *", "CRON_TZ=Asia/Shanghai 0 0 12 * * *"),
    # the allowed characters per field
    ("59 0,15,30,45 */2 1-10/3 JAN-MAR,12 *", "59 0,15,30,45 */2 1-10/3 JAN-MAR,12 *"),
    ("0 0/20 8-18 ? * 1-5", "0 0/20 8-18 ? * 1-5"),
    ("0 0 0 * * sun,Sat", "0 0 0 * * sun,Sat"),
    ("0 0 0 31 dec ?", "0 0 0 31 dec ?"),
    ("  0   0  4 * *  *  ", "0 0 4 * * *"),
    ("@every   15m", "@every 15m"),
    ("CRON_TZ=UTC 0 0 0 * * *", "CRON_TZ=UTC 0 0 0 * * *"),
])
def test_valid_expressions(expression: str, normalised: str) -> None:
    assert validate_schedule_expression("cron_expression", expression) == normalised


@pytest.mark.parametrize("expression, rule", [
    ("*/5 * * * *", "five-field Unix cron"),
    ("0 */5 * * *", "six fields"),
    ("0 0 0 * * * *", "six fields"),
    ("@every 30s", "unit m"),
    ("@every 1h", "unit m"),
    ("@every 0m", "minimum interval"),
    ("@every m", "'@every <N>m'"),
    ("@every -5m", "'@every <N>m'"),
    ("@daily", "only '@' form"),
    ("* * * * * *", "single number 0-59"),  # every second
    ("*/10 * * * * *", "single number 0-59"),  # six fires a minute
    ("0,30 * * * * *", "single number 0-59"),  # two fires a minute
    ("0-30 * * * * *", "single number 0-59"),
    ("60 * * * * *", "out of range"),
    ("0 60 * * * *", "out of range"),
    ("0 0 24 * * *", "out of range"),
    ("0 0 0 0 * *", "out of range"),
    ("0 0 0 32 * *", "out of range"),
    ("0 0 0 * 13 *", "out of range"),
    ("0 0 0 * * 7", "0 is Sunday"),
    ("0 ? * * * *", "'?' not allowed"),
    ("0 0 ? * * *", "'?' not allowed"),
    ("0 0 0 * ? *", "'?' not allowed"),
    ("0 0 0 L * *", "not a number"),
    ("0 0 0 15W * *", "not a number"),
    ("0 0 0 ? * 5#3", "'#' not allowed"),
    ("0 0 0 * FOO *", "not a number or a name"),
    ("0 0 0 * * MON-FOO", "not a number or a name"),
    ("0 0 0 * JAN-FEB-MAR *", "not a number"),
    ("0 30-10 * * * *", "runs backwards"),
    ("0 */0 * * * *", "at least 1"),
    ("0 5/ * * * *", "at least 1"),
    ("0 1,,2 * * * *", "empty list item"),
    ("0 0 0 ?/2 * *", "'?' takes no step"),
    ("CRON_TZ=Mars/Olympus 0 0 0 * * *", "time zone"),
    ("CRON_TZ= 0 0 0 * * *", "time zone"),
    ("CRON_TZ=../etc/passwd 0 0 0 * * *", "time zone"),
    ("CRON_TZ=UTC @every 5m", "six-field cron expressions only"),
    ("", "schedule expression"),
    ("   ", "schedule expression"),
])
def test_invalid_expressions_name_the_option_and_the_rule(expression: str, rule: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        validate_schedule_expression("cron_expression", expression)
    assert raised.value.option == "cron_expression"
    assert str(raised.value).startswith("cron_expression: ")
    assert rule in str(raised.value), str(raised.value)


@pytest.mark.parametrize("expression, days, months, longest", [
    ("0 0 0 30 2 *", "30", "FEB", 29),
    ("0 0 0 30 2 ?", "30", "FEB", 29),
    ("0 0 0 31 FEB ?", "31", "FEB", 29),
    ("0 0 0 30-31 2 *", "30-31", "FEB", 29),
    ("0 0 0 30,31 2 *", "30,31", "FEB", 29),
    ("0 0 0 30/5 2 *", "30/5", "FEB", 29),
    ("0 0 0 31 4,6 *", "31", "APR,JUN", 30),
    ("0 0 0 31 APR,JUN,SEP,NOV *", "31", "APR,JUN,SEP,NOV", 30),
    ("0 0 0 31 2,4 *", "31", "FEB,APR", 30),
    ("0 0 0 31 4-4 *", "31", "APR", 30),
    ("CRON_TZ=Asia/Shanghai 0 0 12 30 2 *", "30", "FEB", 29),
])
def test_days_that_never_occur_in_the_months_are_refused(expression: str, days: str, months: str, longest: int) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_schedule_expression("cron_expression", expression)
    assert raised.value.option == "cron_expression"
    message = str(raised.value)
    assert message.startswith("cron_expression: day-of-month {0} never occurs in month(s) {1} (at most {2} days)".format(
        days, months, longest)), message
    assert "never fire" in message


@pytest.mark.parametrize("expression", [
    "0 0 0 29 2 *",  # February 29 exists in leap years
    "0 0 0 29 FEB ?",
    "0 0 0 28-31 2 *",  # some of the days occur
    "0 0 0 29,30 2 *",
    "0 0 0 30 2 MON",  # both day fields restricted: every Monday of February fires
    "0 0 0 31 4,6 SUN",
    "0 0 0 31 4,5 *",  # May has a 31st
    "0 0 0 31 2/2 *",  # FEB, APR, JUN, AUG (31 days), OCT, DEC
    "0 0 0 31 */2 *",  # JAN, MAR, ...
    "0 0 0 30 1-3 *",
    "0 0 0 31 * *",
    "0 0 0 ? 2 MON",  # day-of-month unrestricted
    "0 0 0 * 2 SAT",
    "0 0 0 30 * *",
])
def test_near_misses_that_do_occur_are_accepted(expression: str) -> None:
    assert validate_schedule_expression("cron_expression", expression) == expression


def test_evaluators_answer_none_for_days_that_never_occur() -> None:
    # A schedule made elsewhere, or before the check, may carry such an expression: it never fires, no error.
    assert latest_fire_time("0 0 0 31 4,6 *", utc(2020, 1, 1), utc(2025, 1, 1)) is None
    assert next_fire_time("0 0 0 31 APR *", utc(2024, 1, 1)) is None
    # what cloudflow_window reports as the fires a window skipped
    assert list(fire_times("0 0 0 30 2 *", utc(2020, 1, 1), utc(2025, 1, 1))) == []
    assert count_fire_times("0 0 0 30 2 *", utc(2020, 1, 1), utc(2025, 1, 1)) == (0, [])


def test_day_names_and_numbers_mean_the_same() -> None:
    by_name = parse_schedule_expression("x", "0 0 0 ? JAN-MAR MON-FRI")
    by_number = parse_schedule_expression("x", "0 0 0 ? 1-3 1-5")
    assert by_name.months == by_number.months == frozenset({1, 2, 3})
    assert by_name.days_of_week == by_number.days_of_week == frozenset({1, 2, 3, 4, 5})


def test_step_from_a_start_runs_to_the_end_of_the_range() -> None:
    assert parse_schedule_expression("x", "0 50/5 * * * *").minutes == (50, 55)
    assert parse_schedule_expression("x", "0 10-20/5 * * * *").minutes == (10, 15, 20)


@pytest.mark.parametrize("expression, after, until, expected", [
    ("0 * * * * *", utc(2024, 5, 1, 10, 0, 30), utc(2024, 5, 3, 10, 5, 59), utc(2024, 5, 3, 10, 5)),
    ("0 * * * * *", utc(2024, 5, 1, 10, 5, 0), utc(2024, 5, 1, 10, 5, 59), None),  # (after, until]: after itself excluded
    ("0 * * * * *", utc(2024, 5, 1, 10, 4, 59), utc(2024, 5, 1, 10, 5, 0), utc(2024, 5, 1, 10, 5)),  # until included
    ("0 0 4 * * *", utc(2024, 5, 1, 5), utc(2024, 5, 3, 3), utc(2024, 5, 2, 4)),
    ("0 0 4 * * *", utc(2024, 5, 1, 5), utc(2024, 5, 2, 3), None),
    # 2024-05-04 is a Saturday: the latest working-day fire is Friday's
    ("0 30 4 ? * MON-FRI", utc(2024, 4, 28), utc(2024, 5, 5, 12), utc(2024, 5, 3, 4, 30)),
    # 12:00 in Shanghai is 04:00 UTC
    ("CRON_TZ=Asia/Shanghai 0 0 12 * * *", utc(2024, 5, 1), utc(2024, 5, 2, 3, 59), utc(2024, 5, 1, 4)),
    ("CRON_TZ=Asia/Shanghai 0 0 0 * * *", utc(2024, 5, 1, 15), utc(2024, 5, 1, 23), utc(2024, 5, 1, 16)),
    # both day fields restricted: a day matching either fires (the 13th was a Monday, the 1st a Wednesday)
    ("0 0 0 1 * MON", utc(2024, 5, 1, 1), utc(2024, 5, 14), utc(2024, 5, 13)),
    ("0 0 0 1 * MON", utc(2024, 4, 30), utc(2024, 5, 5), utc(2024, 5, 1)),
    # one day field unrestricted: both must match
    ("0 0 0 1 * *", utc(2024, 5, 2), utc(2024, 5, 31), None),
    ("0 0 0 */2 * *", utc(2024, 5, 2, 1), utc(2024, 5, 4, 1), utc(2024, 5, 3)),
    ("0 0 0 29 FEB *", utc(2021, 1, 1), utc(2025, 1, 1), utc(2024, 2, 29)),
    ("0 0 0 30 2 *", utc(2020, 1, 1), utc(2025, 1, 1), None),
    ("17 3 * * * *", utc(2024, 5, 1, 10), utc(2024, 5, 1, 11, 3, 16), utc(2024, 5, 1, 10, 3, 17)),
])
def test_latest_fire_time_of_cron(expression: str, after: datetime, until: datetime, expected: datetime) -> None:
    assert latest_fire_time(expression, after, until) == expected


def test_every_fires_at_the_anchor_plus_whole_periods() -> None:
    after = utc(2024, 5, 1, 10)
    assert latest_fire_time("@every 5m", after, after + timedelta(minutes=4)) is None
    assert latest_fire_time("@every 5m", after, after + timedelta(minutes=17)) == utc(2024, 5, 1, 10, 15)
    anchor = utc(2024, 5, 1, 9, 58)
    assert latest_fire_time("@every 5m", after, after + timedelta(minutes=17), anchor=anchor) == utc(2024, 5, 1, 10, 13)
    # the last fire before the window's start does not count
    assert latest_fire_time("@every 90m", after, after + timedelta(minutes=10), anchor=anchor) is None
    assert next_fire_time("@every 5m", after, anchor=anchor) == utc(2024, 5, 1, 10, 3)
    assert next_fire_time("@every 5m", after) == utc(2024, 5, 1, 10, 5)
    assert next_fire_time("@every 5m", after, anchor=after + timedelta(hours=1)) == utc(2024, 5, 1, 11, 5)


def test_window_bounds_in_other_zones_are_compared_as_instants() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert latest_fire_time("0 0 4 * * *", datetime(2024, 5, 1, 0, tzinfo=plus_two), datetime(2024, 5, 1, 6, 30, tzinfo=plus_two)) == utc(2024, 5, 1, 4)
    fire = latest_fire_time("0 0 4 * * *", datetime(2024, 5, 1, 0, tzinfo=plus_two), datetime(2024, 5, 1, 6, 30, tzinfo=plus_two))
    assert fire is not None and fire.tzinfo == UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        latest_fire_time("0 0 4 * * *", datetime(2024, 5, 1), utc(2024, 5, 2))


def test_empty_or_reversed_window() -> None:
    assert latest_fire_time("0 * * * * *", utc(2024, 5, 2), utc(2024, 5, 1)) is None
    assert latest_fire_time("0 * * * * *", utc(2024, 5, 2), utc(2024, 5, 2)) is None


@pytest.mark.parametrize("expression, after, expected", [
    ("0 * * * * *", utc(2024, 5, 1, 10, 0, 0), utc(2024, 5, 1, 10, 1)),
    ("0 0 4 * * *", utc(2024, 5, 1, 4), utc(2024, 5, 2, 4)),
    ("0 30 4 ? * MON-FRI", utc(2024, 5, 3, 5), utc(2024, 5, 6, 4, 30)),
    ("0 0 0 1 JAN *", utc(2024, 5, 1), utc(2025, 1, 1)),
    ("CRON_TZ=America/New_York 0 0 9 * * *", utc(2024, 5, 1), utc(2024, 5, 1, 13)),
    ("0 0 0 29 2 *", utc(2024, 3, 1), utc(2028, 2, 29)),
    ("0 0 0 30 2 *", utc(2024, 3, 1), None),
])
def test_next_fire_time(expression: str, after: datetime, expected: datetime) -> None:
    assert next_fire_time(expression, after) == expected


def test_dst_skipped_wall_time_is_skipped_and_repeated_one_fires_once() -> None:
    pytest.importorskip("zoneinfo")
    expression = "CRON_TZ=Europe/Berlin 0 30 2 * * *"
    # 2024-03-31: clocks go from 02:00 to 03:00 in Berlin, so 02:30 does not exist that day
    assert next_fire_time(expression, utc(2024, 3, 30, 2)) == utc(2024, 4, 1, 0, 30)
    assert latest_fire_time(expression, utc(2024, 3, 30, 2), utc(2024, 4, 1, 0)) is None
    # 2024-10-27: 02:30 happens twice (CEST, then CET); it fires at the first one only
    assert next_fire_time(expression, utc(2024, 10, 26, 12)) == utc(2024, 10, 27, 0, 30)
    assert next_fire_time(expression, utc(2024, 10, 27, 0, 30)) == utc(2024, 10, 28, 1, 30)
    # every minute across the spring-forward night: no fire in the missing hour, none lost around it
    per_minute = "CRON_TZ=Europe/Berlin 0 * * * * *"
    assert latest_fire_time(per_minute, utc(2024, 3, 31, 0, 30), utc(2024, 3, 31, 1, 0, 30)) == utc(2024, 3, 31, 1, 0)
    assert next_fire_time(per_minute, utc(2024, 3, 31, 0, 59)) == utc(2024, 3, 31, 1, 0)


def test_long_windows() -> None:
    # Speed is a benchmark figure (make bench), not an assertion here: these only pin the answers.
    until = utc(2024, 12, 31, 23, 59, 59)
    assert latest_fire_time("0 * * * * *", until - timedelta(days=60), until) == utc(2024, 12, 31, 23, 59)
    assert latest_fire_time("0 * * * * *", until - timedelta(days=60), utc(2024, 12, 31, 0, 0, 30)) == utc(2024, 12, 31, 0, 0)
    assert latest_fire_time("0 0 0 1 JAN *", utc(2024, 1, 1, 0, 0, 1), until) is None
    assert latest_fire_time("0 0 0 * * *", utc(2000, 1, 1), until) == utc(2024, 12, 31)
    assert next_fire_time("0 0 0 30 2 *", until) is None
