# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.seed.cloudflow.plugins.filter.merge_quiesce_record import FilterModule, merge_quiesce_record


def schedule(flow: str, name: str, disabled_time: str) -> dict[str, t.Any]:
    return {"flow_name": flow, "name": name, "cron_expression": "0 0 2 * * *", "payload": None, "disabled_time": disabled_time}


def execution(flow: str, name: str) -> dict[str, t.Any]:
    return {"flow_name": flow, "name": name, "input": {"n": 1}, "status_before": "Running", "status_after": "Stopped"}


FIRST = {
    "version": 1, "started_time": "2024-05-01T20:00:00Z", "updated_time": "2024-05-01T20:00:00Z", "cause": "first",
    "flows": ["a", "b"],
    "schedules": [schedule("a", "nightly", "2024-05-01T20:00:00Z"), schedule("b", "hourly", "2024-05-01T20:00:00Z")],
    "executions": [execution("a", "run-1")],
}


def test_the_filter_is_registered_under_its_name() -> None:
    assert FilterModule().filters() == {"merge_quiesce_record": merge_quiesce_record}


def test_no_earlier_record_gives_the_current_one() -> None:
    current = dict(FIRST)
    for previous in (None, {}):
        assert merge_quiesce_record(previous, current) == current


def test_a_second_quiesce_never_forgets_what_the_first_paused() -> None:
    # The second run finds the first run's schedules already disabled: it disables only a new one.
    second = {
        "started_time": "2024-05-01T21:00:00Z", "updated_time": "2024-05-01T21:00:00Z", "cause": "second",
        "flows": ["b", "c"],
        "schedules": [schedule("c", "daily", "2024-05-01T21:00:00Z")],
        "executions": [execution("a", "run-1"), execution("c", "run-9")],
    }
    merged = merge_quiesce_record(FIRST, second)
    assert [(entry["flow_name"], entry["name"]) for entry in merged["schedules"]] == [("a", "nightly"), ("b", "hourly"), ("c", "daily")]
    assert [(entry["flow_name"], entry["name"]) for entry in merged["executions"]] == [("a", "run-1"), ("c", "run-9")]
    assert merged["flows"] == ["a", "b", "c"]
    assert merged["started_time"] == "2024-05-01T20:00:00Z"
    assert merged["updated_time"] == "2024-05-01T21:00:00Z"
    assert merged["cause"] == "second"
    assert merged["version"] == 1


def test_the_earlier_entry_wins_for_the_same_schedule() -> None:
    again = {"flows": ["a"], "schedules": [schedule("a", "nightly", "2024-05-01T23:00:00Z")], "executions": []}
    merged = merge_quiesce_record(FIRST, again)
    assert merged["schedules"][0]["disabled_time"] == "2024-05-01T20:00:00Z"
    assert len(merged["schedules"]) == 2


def test_same_name_in_another_flow_is_another_schedule() -> None:
    other = {"flows": ["b"], "schedules": [schedule("b", "nightly", "2024-05-01T23:00:00Z")], "executions": []}
    assert len(merge_quiesce_record(FIRST, other)["schedules"]) == 3


def test_inputs_are_not_modified() -> None:
    before = repr(FIRST)
    merge_quiesce_record(FIRST, {"flows": ["z"], "schedules": [schedule("z", "s", "t")], "executions": []})
    assert repr(FIRST) == before


@pytest.mark.parametrize("previous, current, words", [
    (["x"], {}, "earlier record must be a dict"),
    ({}, None, "current record must be a dict"),
    ({"version": 2}, {}, "format version 2"),
    ({"schedules": [{"name": "x"}]}, {}, "earlier record's schedules"),
    ({}, {"executions": "run-1"}, "current record's executions"),
])
def test_bad_records_fail_with_a_filter_error(previous: t.Any, current: t.Any, words: str) -> None:
    with pytest.raises(AnsibleFilterError) as raised:
        merge_quiesce_record(previous, current)
    assert words in str(raised.value)
