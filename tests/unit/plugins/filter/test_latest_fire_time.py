# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.seed.cloudflow.plugins.filter.latest_fire_time import FilterModule, latest_fire_time


def test_the_filter_is_registered_under_its_name() -> None:
    assert FilterModule().filters() == {"latest_fire_time": latest_fire_time}


@pytest.mark.parametrize("expression, after, until, expected", [
    # daily at 02:00 UTC, window over one night
    ("0 0 2 * * *", "2024-05-01T20:00:00Z", "2024-05-02T06:00:00Z", "2024-05-02T02:00:00Z"),
    # the end of the window is included, its start is not
    ("0 0 2 * * *", "2024-05-01T20:00:00Z", "2024-05-02T02:00:00Z", "2024-05-02T02:00:00Z"),
    ("0 0 2 * * *", "2024-05-02T02:00:00Z", "2024-05-02T06:00:00Z", None),
    # hourly: the last full hour
    ("0 0 * * * *", "2024-05-01T10:15:00Z", "2024-05-01T12:59:59Z", "2024-05-01T12:00:00Z"),
    # weekdays only, with ?: a window over a weekend ends on the Friday fire time (2024-05-03 is a Friday)
    ("0 30 4 ? * MON-FRI", "2024-05-02T12:00:00Z", "2024-05-05T23:00:00Z", "2024-05-03T04:30:00Z"),
    # a time zone: noon in Shanghai is 04:00 UTC
    ("CRON_TZ=Asia/Shanghai 0 0 12 * * *", "2024-05-01T00:00:00Z", "2024-05-01T23:00:00Z", "2024-05-01T04:00:00Z"),
    # given in another offset, answered in UTC
    ("0 0 2 * * *", "2024-05-01T22:00:00+02:00", "2024-05-02T08:00:00+02:00", "2024-05-02T02:00:00Z"),
    # a window with no fire time
    ("0 0 0 1 1 ?", "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z", None),
    # an empty window
    ("0 0 * * * *", "2024-05-02T00:00:00Z", "2024-05-01T00:00:00Z", None),
    # days that never occur (cloudflow_schedule refuses them; one made elsewhere simply never fires)
    ("0 0 0 30 2 *", "2020-01-01T00:00:00Z", "2025-01-01T00:00:00Z", None),
])
def test_latest_fire_time(expression: str, after: str, until: str, expected: t.Optional[str]) -> None:
    assert latest_fire_time(expression, after, until) == expected


def test_every_counts_from_the_anchor() -> None:
    # every 90 minutes from 00:00: 01:30, 03:00, 04:30 ... the last before 05:00 is 04:30
    assert latest_fire_time("@every 90m", "2024-05-01T02:00:00Z", "2024-05-01T05:00:00Z", anchor="2024-05-01T00:00:00Z") == \
        "2024-05-01T04:30:00Z"
    # without an anchor it counts from the start of the window
    assert latest_fire_time("@every 90m", "2024-05-01T02:00:00Z", "2024-05-01T05:00:00Z") == "2024-05-01T05:00:00Z"
    assert latest_fire_time("@every 90m", "2024-05-01T02:00:00Z", "2024-05-01T03:00:00Z") is None
    # an empty anchor means none (a schedule without a created time)
    assert latest_fire_time("@every 60m", "2024-05-01T02:00:00Z", "2024-05-01T03:00:00Z", anchor="") == "2024-05-01T03:00:00Z"


def test_datetimes_are_accepted_too() -> None:
    after = datetime(2024, 5, 1, 20, tzinfo=timezone.utc)
    until = datetime(2024, 5, 2, 6, tzinfo=timezone.utc)
    assert latest_fire_time("0 0 2 * * *", after, until) == "2024-05-02T02:00:00Z"


@pytest.mark.parametrize("args, words", [
    (("0 0 2 * * *", "yesterday", "2024-05-02T06:00:00Z"), "after must be an RFC 3339 time"),
    (("0 0 2 * * *", "2024-05-01T20:00:00", "2024-05-02T06:00:00Z"), "after must carry a time zone"),
    (("0 0 2 * * *", "2024-05-01T20:00:00Z", 42), "until must be an RFC 3339 time as a string"),
    (("0 0 2 * * *", "2024-05-01T20:00:00Z", "2024-05-02T06:00:00Z", "soon"), "anchor must be an RFC 3339 time"),
    (("", "2024-05-01T20:00:00Z", "2024-05-02T06:00:00Z"), "must be a schedule expression"),
    ((None, "2024-05-01T20:00:00Z", "2024-05-02T06:00:00Z"), "must be a schedule expression"),
    (("0 2 * * *", "2024-05-01T20:00:00Z", "2024-05-02T06:00:00Z"), "latest_fire_time: "),
    (("@every 30s", "2024-05-01T20:00:00Z", "2024-05-02T06:00:00Z"), "latest_fire_time: "),
    (("CRON_TZ=Nowhere/Atlantis 0 0 12 * * *", "2024-05-01T20:00:00Z", "2024-05-02T06:00:00Z"), "latest_fire_time: "),
])
def test_bad_input_fails_with_a_filter_error_naming_the_argument(args: tuple[t.Any, ...], words: str) -> None:
    with pytest.raises(AnsibleFilterError) as raised:
        latest_fire_time(*args)
    assert words in str(raised.value)
