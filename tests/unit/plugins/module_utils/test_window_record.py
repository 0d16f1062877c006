# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The record schema: merging runs, what is left to resume, and records of another version."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import RecordError
from ansible_collections.seed.cloudflow.plugins.module_utils._window_record import (
    RECORD_FORMAT,
    RECORD_VERSION,
    Delta,
    apply,
    check_record,
    left_to_do,
    new_record,
)

NOW = "2024-05-01T12:00:00Z"


def quiesce(*schedules: tuple[str, str, str], executions: t.Sequence[tuple[str, str, str]] = (), started: str = NOW) -> Delta:
    delta = Delta("quiesced", started, "window", False)
    for flow, name, state in schedules:
        delta.add_flows([flow])
        delta.schedule({"flow_name": flow, "name": name, "state": state, "disabled_time": started, "created_time": "c1",
                        "cron_expression": "0 0 2 * * *", "payload": None, "id": "sid", "error": None})
    for flow, name, state in executions:
        delta.add_flows([flow])
        delta.execution({"flow_name": flow, "name": name, "state": state, "input": {"n": name}, "error": None,
                         "started_time": None, "status_before": "Running", "status_after": "Running"})
    return delta


def resume(*outcomes: tuple[str, str, str]) -> Delta:
    delta = Delta("resumed", NOW, None, False)
    for flow, name, outcome in outcomes:
        delta.schedule({"flow_name": flow, "name": name, "resumed": outcome, "resumed_time": NOW, "error": None})
    return delta


def names(record: t.Mapping[str, t.Any], key: str = "schedules") -> list[tuple[str, str]]:
    return [(entry["flow_name"], entry["name"]) for entry in record[key]]


def test_a_new_record_names_its_format_and_version_and_is_open() -> None:
    record = apply(None, quiesce(("f1", "s1", "pending")), NOW, "/r.json")
    assert record["format"] == RECORD_FORMAT and record["version"] == RECORD_VERSION == 2
    assert record["state"] == "open" and record["started_time"] == NOW and record["resumed_time"] is None
    assert names(record) == [("f1", "s1")] and record["flows"] == ["f1"]
    assert [run["state"] for run in record["runs"]] == ["quiesced"]


def test_two_runs_merge_and_neither_loses_the_other() -> None:
    first = quiesce(("f1", "s1", "pending"), executions=[("f1", "e1", "pending")])
    second = quiesce(("f4", "s4", "pending"), executions=[("f4", "e4", "pending")])
    record = apply(None, first, NOW, "/r.json")
    record = apply(record, second, NOW, "/r.json")
    # The first run writes again with only what it knows: the second run's entries stay.
    first.schedule({"flow_name": "f1", "name": "s1", "state": "disabled"})
    record = apply(record, first, "2024-05-01T12:01:00Z", "/r.json")
    assert names(record) == [("f1", "s1"), ("f4", "s4")]
    assert names(record, "executions") == [("f1", "e1"), ("f4", "e4")]
    assert record["flows"] == ["f1", "f4"] and len(record["runs"]) == 2
    assert [entry["state"] for entry in record["schedules"]] == ["disabled", "pending"]


def test_the_stronger_state_wins_whichever_run_writes_last() -> None:
    done = quiesce(("f", "s", "disabled"))
    failed = quiesce(("f", "s", "failed"), started="2024-05-01T11:00:00Z")
    record = apply(apply(None, done, NOW, "/r.json"), failed, NOW, "/r.json")
    entry = record["schedules"][0]
    assert entry["state"] == "disabled"
    assert entry["disabled_time"] == "2024-05-01T11:00:00Z", "the earliest disabling is kept"
    stopped = quiesce(executions=[("f", "e", "stopped")])
    pending = quiesce(executions=[("f", "e", "pending")])
    record = apply(apply(record, stopped, NOW, "/r.json"), pending, NOW, "/r.json")
    assert record["executions"][0]["state"] == "stopped"


def test_a_resume_sets_outcomes_and_a_later_quiesce_of_the_same_schedule_clears_them() -> None:
    record = apply(None, quiesce(("f", "s", "disabled")), NOW, "/r.json")
    record = apply(record, resume(("f", "s", "failed")), NOW, "/r.json")
    assert record["schedules"][0]["resumed"] == "failed"
    assert [entry["name"] for entry in left_to_do(record, False)["schedules"]] == ["s"]
    record = apply(record, resume(("f", "s", "enabled")), NOW, "/r.json")
    assert left_to_do(record, False)["schedules"] == []
    # Disabled again in the same window: the next resume must look at it again.
    record = apply(record, quiesce(("f", "s", "disabled")), NOW, "/r.json")
    assert record["schedules"][0]["resumed"] is None
    assert [entry["name"] for entry in left_to_do(record, False)["schedules"]] == ["s"]


def test_a_finished_resume_marks_the_window_and_a_later_quiesce_starts_a_new_one() -> None:
    record = apply(None, quiesce(("f", "s", "disabled")), NOW, "/r.json")
    done = resume(("f", "s", "enabled"))
    done.finish_window = True
    record = apply(record, done, "2024-05-01T13:00:00Z", "/r.json")
    assert record["state"] == "resumed" and record["resumed_time"] == "2024-05-01T13:00:00Z" and done.window_finished
    assert left_to_do(record, True) == {"schedules": [], "executions": [], "catch_up": []}
    window = record["window_id"]
    record = apply(record, quiesce(("g", "t", "pending"), started="2024-05-02T00:00:00Z"), NOW, "/r.json")
    assert record["state"] == "open" and record["window_id"] != window
    assert names(record) == [("g", "t")] and record["started_time"] == "2024-05-02T00:00:00Z"


def test_a_resume_does_not_finish_a_window_that_gained_entries_it_did_not_see() -> None:
    record = apply(None, quiesce(("f", "s", "disabled")), NOW, "/r.json")
    record = apply(record, quiesce(("g", "late", "pending")), NOW, "/r.json")  # written while the resume ran
    done = resume(("f", "s", "enabled"))
    done.finish_window = True
    record = apply(record, done, NOW, "/r.json")
    assert record["state"] == "open" and not done.window_finished
    assert [entry["name"] for entry in left_to_do(record, False)["schedules"]] == ["late"]


def test_left_to_do_lists_stopped_executions_only_when_they_are_restarted() -> None:
    delta = quiesce(executions=[("f", "stopped", "stopped"), ("f", "pending", "pending"), ("f", "drained", "finished_by_itself"),
                                ("f", "failed", "failed"), ("f", "gone", "gone")])
    record = apply(None, delta, NOW, "/r.json")
    assert left_to_do(record, False)["executions"] == []
    assert [entry["name"] for entry in left_to_do(record, True)["executions"]] == ["stopped", "pending"]
    restarted = Delta("resumed", NOW, None, False)
    restarted.execution({"flow_name": "f", "name": "stopped", "restarted_as": "stopped-r"})
    record = apply(record, restarted, NOW, "/r.json")
    assert [entry["name"] for entry in left_to_do(record, True)["executions"]] == ["pending"]


def test_catch_up_entries_stay_until_started() -> None:
    delta = Delta("resumed", NOW, None, False)
    delta.catch_up_entry({"flow_name": "f", "schedule_name": "s", "name": "s-catch-up-1", "fire_time": NOW, "input": None,
                          "state": "pending", "error": None})
    record = apply(new_record(NOW), delta, NOW, "/r.json")
    assert [entry["name"] for entry in left_to_do(record, False)["catch_up"]] == ["s-catch-up-1"]
    delta.catch_up_entry({"name": "s-catch-up-1", "state": "started"})
    record = apply(record, delta, NOW, "/r.json")
    assert left_to_do(record, False)["catch_up"] == []


@pytest.mark.parametrize("record, words", [
    ({"version": 3, "format": RECORD_FORMAT}, ["version 3", "reads 'seed.cloudflow.window' version 2"]),
    ({"version": 1, "started_time": NOW, "schedules": []}, ["version 1 record", "cloudflow_schedule"]),
    ({"format": "something.else", "version": 2}, ["'something.else'"]),
    ([1, 2], ["not a maintenance-window record"]),
    ({"format": RECORD_FORMAT, "version": 2, "state": "half"}, ["state 'half'"]),
    ({"format": RECORD_FORMAT, "version": 2, "state": "open", "schedules": [{"name": "s"}]}, ["flow_name and name"]),
])
def test_a_record_of_another_version_or_shape_fails_clearly_naming_its_source(record: t.Any, words: list[str]) -> None:
    with pytest.raises(RecordError) as failure:
        check_record(record, "/var/lib/window.json")
    message = str(failure.value)
    assert message.startswith("/var/lib/window.json: ")
    for word in words:
        assert word in message


def test_a_record_of_another_version_on_disk_is_not_overwritten_by_a_merge() -> None:
    with pytest.raises(RecordError):
        apply({"format": RECORD_FORMAT, "version": 99}, quiesce(("f", "s", "pending")), NOW, "/r.json")
