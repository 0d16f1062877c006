# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator's own schedule expression evaluator: next fire times."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cloudflow_emulator.cron import CronError, parse

UTC = timezone.utc
T0 = datetime(2026, 3, 6, 10, 0, 30, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize("expression, expected", [
    ("0 * * * * *", datetime(2026, 3, 6, 10, 1, 0, tzinfo=UTC)),
    ("30 0 10 * * *", datetime(2026, 3, 7, 10, 0, 30, tzinfo=UTC)),  # strictly after
    ("0 0 4 * * *", datetime(2026, 3, 7, 4, 0, 0, tzinfo=UTC)),
    ("0 30 4 ? * MON-FRI", datetime(2026, 3, 9, 4, 30, 0, tzinfo=UTC)),  # Saturday skipped
    ("0 */15 * * * *", datetime(2026, 3, 6, 10, 15, 0, tzinfo=UTC)),
    ("0 5/20 * * * *", datetime(2026, 3, 6, 10, 5, 0, tzinfo=UTC)),
    ("0 0 0 29 2 ?", datetime(2028, 2, 29, 0, 0, 0, tzinfo=UTC)),
    ("0 0 12 1 JAN *", datetime(2027, 1, 1, 12, 0, 0, tzinfo=UTC)),
    # both day fields restricted: either matches (the 13th, or any Sunday)
    ("0 0 0 13 * SUN", datetime(2026, 3, 8, 0, 0, 0, tzinfo=UTC)),
    # CRON_TZ: noon in Shanghai is 04:00 UTC
    ("CRON_TZ=Asia/Shanghai 0 0 12 * * *", datetime(2026, 3, 7, 4, 0, 0, tzinfo=UTC)),
    ("CRON_TZ=America/New_York 0 0 9 * * *", datetime(2026, 3, 6, 14, 0, 0, tzinfo=UTC)),
])
def test_next_after(expression: str, expected: datetime) -> None:
    assert parse(expression).next_after(T0) == expected


def test_cron_tz_follows_daylight_saving() -> None:
    schedule = parse("CRON_TZ=America/New_York 0 0 9 * * *")
    before = schedule.next_after(datetime(2026, 3, 7, 15, 0, tzinfo=UTC))
    after = schedule.next_after(datetime(2026, 3, 8, 15, 0, tzinfo=UTC))  # DST from 8 March
    assert before == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert after == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert parse("0 0 9 * * *").next_after(datetime(2026, 3, 8, 15, 0, tzinfo=UTC)) == \
        datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # UTC without a prefix


def test_every_counts_from_the_anchor() -> None:
    schedule = parse("@every 90m")
    anchor = datetime(2026, 3, 6, 9, 0, 0, tzinfo=UTC)
    assert schedule.next_after(anchor, anchor) == anchor + timedelta(minutes=90)
    assert schedule.next_after(T0, anchor) == anchor + timedelta(minutes=90)
    assert schedule.next_after(anchor + timedelta(minutes=90), anchor) == \
        anchor + timedelta(minutes=180)
    assert schedule.next_after(anchor - timedelta(hours=1), anchor) == \
        anchor + timedelta(minutes=90)


def test_successive_fire_times() -> None:
    schedule = parse("0 0,30 8-9 ? * *")
    times, at = [], T0 - timedelta(hours=3)
    for _fire in range(5):
        at = schedule.next_after(at)
        times.append(at.strftime("%d %H:%M"))
    assert times == ["06 08:00", "06 08:30", "06 09:00", "06 09:30", "07 08:00"]


def test_never_matching_day_gives_none() -> None:
    assert parse("0 0 0 31 2 ?").next_after(T0) is None


@pytest.mark.parametrize("expression, part", [
    ("* * * * * *", "seconds"), ("0 0 0 0 * *", "day of month"), ("0 0 0 * * 8", "day of week"),
    ("CRON_TZ=No/Where 0 * * * * *", "time zone"), ("@every 0m", "1m"),
])
def test_errors_name_the_part(expression: str, part: str) -> None:
    with pytest.raises(CronError) as info:
        parse(expression)
    assert part in str(info.value)
