# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading and writing RFC 3339 times."""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._time import aware_moment, rfc3339_time, utc_text


@pytest.mark.parametrize("value, expected", [
    ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000Z"),
    ("2024-05-01T12:00:00z", "2024-05-01T12:00:00.000Z"),
    ("2024-05-01T12:00:00.123456Z", "2024-05-01T12:00:00.123Z"),
    ("2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00.000Z"),
    ("2024-05-01T00:30:00-01:00", "2024-05-01T01:30:00.000Z"),
    (" 2024-05-01T12:00:00Z ", "2024-05-01T12:00:00.000Z"),
    (None, None),
])
def test_rfc3339_time_normalises_to_utc_milliseconds(value: t.Optional[str], expected: t.Optional[str]) -> None:
    assert rfc3339_time("filters.started_after", value) == expected


@pytest.mark.parametrize("value, rule", [
    ("2024-05-01T12:00:00", "time zone"),
    ("2024-05-01", "time zone"),
    ("yesterday", "RFC 3339"),
    ("2024-13-01T00:00:00Z", "RFC 3339"),
    ("", "RFC 3339"),
])
def test_rfc3339_time_rejects_and_names_the_option(value: str, rule: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        rfc3339_time("filters.started_before", value)
    assert raised.value.option == "filters.started_before"
    assert rule in str(raised.value)


def test_aware_moment_is_none_for_nothing_garbage_or_a_naive_time() -> None:
    assert aware_moment("2024-05-01T14:00:00+02:00") == datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    for text in (None, "", "soon", "2024-05-01T12:00:00"):
        assert aware_moment(text) is None


def test_utc_text_is_whole_seconds_in_utc() -> None:
    moment = datetime(2024, 5, 1, 14, 0, 30, 999999, tzinfo=timezone(timedelta(hours=2)))
    assert utc_text(moment) == "2024-05-01T12:00:30Z"
