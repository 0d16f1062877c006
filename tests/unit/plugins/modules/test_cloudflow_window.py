# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cloudflow_window: every local rule before any request, and the module's result."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_window
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

CONNECTION = {"endpoint": "http://127.0.0.1:9", "access_key_id": "id", "access_key_secret": "secret"}


@pytest.fixture(autouse=True)
def window(service: FakeCloudFlow) -> None:
    service.add_schedule("f1", "nightly", "0 0 2 * * *")
    service.add_execution("f1", "run-1", input_text='{"n": 1}')


def run(run_main: t.Callable[..., dict[str, t.Any]], **args: t.Any) -> dict[str, t.Any]:
    return run_main(cloudflow_window.main, dict(CONNECTION, **args))


QUIESCE = {"state": "quiesced", "flows": ["f1"], "cause": "CHG-1"}
RESUME = {"state": "resumed", "record_path": "/tmp/window.json"}


@pytest.mark.parametrize("given, option, rule", [
    ({"state": "quiesced", "flows": ["f1"]}, "cause", "is required with state=quiesced"),
    ({"state": "quiesced", "cause": "x"}, "flows", "give flows, flow_prefix, or both"),
    (dict(QUIESCE, flows=["f1", "f1"]), "flows", "repeated: f1"),
    (dict(QUIESCE, flows=["1bad"]), "flows[0]", "starting with a letter"),
    (dict(QUIESCE, flow_prefix="a b"), "flow_prefix", "letters, digits"),
    (dict(QUIESCE, cause=""), "cause", "1 to 4096"),
    (dict(QUIESCE, error="e" * 129), "error", "1 to 128"),
    (dict(QUIESCE, drain_timeout=-1), "drain_timeout", "zero or greater"),
    (dict(QUIESCE, wait_timeout=0), "wait_timeout", "greater than zero"),
    (dict(QUIESCE, concurrency=33), "concurrency", "at most 32"),
    (dict(QUIESCE, record_path="relative.json"), "record_path", "absolute path"),
    (dict(QUIESCE, catch_up="latest"), "catch_up", "only valid with state=resumed"),
    (dict(QUIESCE, missing_ok=True), "missing_ok", "only valid with state=resumed"),
    (dict(QUIESCE, record={"version": 2}), "record", "only valid with state=resumed"),
    (dict(RESUME, cause="x"), "cause", "only valid with state=quiesced"),
    (dict(RESUME, flows=["f1"]), "flows", "only valid with state=quiesced"),
    (dict(RESUME, drain_timeout=5), "drain_timeout", "only valid with state=quiesced"),
    ({"state": "resumed"}, "record_path", "give record_path or record"),
    (dict(RESUME, restart_stopped=True), "restart_suffix", "is required with restart_stopped"),
    (dict(RESUME, restart_stopped=True, restart_suffix="-a b"), "restart_suffix", "letters, digits"),
    (dict(RESUME, restart_executions=[{"flow_name": "f1"}], restart_suffix="-r"), "restart_executions[0].name", "is required"),
    (dict(RESUME, restart_executions=[{"flow_name": "f1", "name": "x" * 127}], restart_suffix="-r"),
     "restart_executions[0].name", "1-128"),
    (dict(RESUME, record={"version": 2}), "record", "mutually exclusive"),
    ({"state": "paused"}, "state", "one of"),
])
def test_bad_input_fails_naming_the_option_before_any_request(run_main, service, given: dict[str, t.Any], option: str, rule: str) -> None:
    result = run(run_main, **given)
    assert result["failed"], result
    assert option in result["msg"] and rule in result["msg"], result["msg"]
    assert service.calls == []


def test_a_record_path_in_a_missing_directory_fails_before_any_request(run_main, service, tmp_path: Path) -> None:
    path = tmp_path / "missing" / "window.json"
    result = run(run_main, **dict(QUIESCE, record_path=str(path)))
    assert result["failed"] and str(path) in result["msg"] and "does not exist" in result["msg"]
    assert service.calls == []


def test_replacement_names_are_checked_against_the_record_before_any_write(run_main, service, tmp_path: Path) -> None:
    path = tmp_path / "window.json"
    service.add_execution("f1", "x" * 120)
    assert not run(run_main, **dict(QUIESCE, record_path=str(path))).get("failed")
    service.calls.clear()
    result = run(run_main, state="resumed", record_path=str(path), restart_stopped=True, restart_suffix="-resumed-CHG")
    assert result["failed"] and "restart_suffix" in result["msg"] and "longer than 128" in result["msg"]
    assert service.writes() == []


def test_the_result_carries_outcomes_the_record_and_a_diff(run_main, service, tmp_path: Path) -> None:
    path = tmp_path / "window.json"
    with_diff = dict(QUIESCE, record_path=str(path), _ansible_diff=True)
    result = run(run_main, **with_diff)
    assert result["changed"] and not result.get("failed")
    assert [(entry["name"], entry["outcome"]) for entry in result["schedules"]] == [("nightly", "disabled")]
    assert [(entry["name"], entry["outcome"], entry["input"]) for entry in result["executions"]] == [("run-1", "stopped", {"n": 1})]
    assert result["record"]["state"] == "open" and result["record_path"] == str(path) and result["failures"] == []
    assert result["diff"] == {"before": {"schedules": {"f1/nightly": "enabled"}, "executions": {"f1/run-1": "Running"}},
                              "after": {"schedules": {"f1/nightly": "disabled"}, "executions": {"f1/run-1": "Stopped"}}}
    resumed = run(run_main, state="resumed", record_path=str(path))
    assert resumed["changed"] and resumed["record"]["state"] == "resumed" and resumed["remaining"]["schedules"] == []


def test_a_partial_failure_fails_the_task_with_the_record_and_the_failures(run_main, service, tmp_path: Path) -> None:
    from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError

    service.inject("StopExecution", ApiError("StopExecution", 500, "InternalServerError", "boom", "req-77", attempts=7))
    result = run(run_main, **dict(QUIESCE, record_path=str(tmp_path / "window.json")))
    assert result["failed"] and result["changed"]
    assert result["failures"] == [{"kind": "execution", "flow_name": "f1", "name": "run-1",
                                   "reason": "InternalServerError: boom (RequestId: req-77)"}]
    assert "req-77" in result["msg"] and result["record"]["schedules"][0]["state"] == "disabled"
