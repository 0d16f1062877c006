# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import threading
import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _bulk_stop
from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import stop_in_progress, watch_until_finished
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import LIST_PAGE_SIZE

FLOW = "flow"
TERMINAL = ("Stopped", "Succeeded", "Failed", "TimedOut")


class FakeClock:
    """Time that moves only when the code under test sleeps (or a long-poll waits)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class AsyncStopService:
    """One flow whose executions stop `stop_delay` fake seconds after StopExecution, like the real service."""

    def __init__(self, clock: FakeClock, executions: dict[str, str], stop_delay: float = 0.0, page_size: int = 0) -> None:
        self.clock = clock
        self.stop_delay = stop_delay
        self.page_size = page_size
        self.lock = threading.Lock()
        self.calls: list[tuple[str, dict[str, t.Any]]] = []
        self.executions: dict[str, dict[str, t.Any]] = {}
        self.stop_at: dict[str, float] = {}
        self.never_stop: set[str] = set()
        self.finish_instead: dict[str, str] = {}
        self.failing: dict[str, int] = {}  # action -> how many calls still fail
        for index, (name, status) in enumerate(executions.items()):
            self.executions[name] = {"Name": name, "FlowName": FLOW, "Status": status, "Input": '{"n": %d}' % index,
                                     "StartedTime": "2024-05-01T00:{0:02d}:00.000Z".format(index % 60)}

    def actions(self) -> list[str]:
        return [action for action, _params in self.calls]

    def _settle(self) -> None:
        for name, when in list(self.stop_at.items()):
            if self.clock.now >= when:
                self.executions[name]["Status"] = self.finish_instead.get(name, "Stopped")
                del self.stop_at[name]

    def call(self, action: str, params: t.Mapping[str, t.Any], *, read_timeout: t.Optional[float] = None) -> dict[str, t.Any]:
        with self.lock:
            self.calls.append((action, {key: value for key, value in params.items() if value is not None}))
            if self.failing.get(action):
                self.failing[action] -= 1
                raise ApiError(action, 500, "InternalServerError", "the service failed", "req-500", attempts=7)
            self._settle()
            return getattr(self, "_" + action)(params)

    def _execution(self, action: str, name: str) -> dict[str, t.Any]:
        if name not in self.executions:
            raise ApiError(action, 400, "ExecutionNotExists", "execution does not exist", "req-missing")
        return self.executions[name]

    def _StopExecution(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        execution = self._execution("StopExecution", params["ExecutionName"])
        if execution["Status"] in TERMINAL:
            raise ApiError("StopExecution", 400, "ExecutionAlreadyCompleted", "already completed", "req-done")
        if params["ExecutionName"] not in self.never_stop:
            self.stop_at.setdefault(params["ExecutionName"], self.clock.now + self.stop_delay)
            self._settle()
        return dict(execution)

    def _DescribeExecution(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        execution = self._execution("DescribeExecution", params["ExecutionName"])
        wait = int(params.get("WaitTimeSeconds") or 0)
        if wait and execution["Status"] not in TERMINAL:
            when = self.stop_at.get(params["ExecutionName"])
            self.clock.now = min(when, self.clock.now + wait) if when is not None else self.clock.now + wait
            self._settle()
        return dict(execution)

    def _ListExecutions(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        assert 1 <= params["Limit"] <= 100
        selected = [
            execution for execution in self.executions.values()
            if (not params.get("Status") or execution["Status"] == params["Status"])
            and execution["Name"].startswith(params.get("ExecutionNamePrefix") or "")
            and (not params.get("StartedTimeBegin") or execution["StartedTime"] >= params["StartedTimeBegin"])
            and (not params.get("StartedTimeEnd") or execution["StartedTime"] <= params["StartedTimeEnd"])
        ]
        size = self.page_size or params["Limit"]
        start = int(params.get("NextToken") or 0)
        next_token = str(start + size) if start + size < len(selected) else None
        return {"Executions": [dict(execution) for execution in selected[start:start + size]], "NextToken": next_token}


def running(count: int, prefix: str = "run-") -> dict[str, str]:
    return {"{0}{1:03d}".format(prefix, index): "Running" for index in range(count)}


def stop(service: AsyncStopService, clock: FakeClock, **options: t.Any) -> _bulk_stop.BulkStopOutcome:
    return stop_in_progress(service, FLOW, clock=clock, sleep=clock.sleep, **options)  # type: ignore[arg-type]


def test_many_executions_are_watched_with_list_pages_not_one_describe_each() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(250), stop_delay=2.0)
    outcome = stop(service, clock, wait=True, cause="maintenance")
    assert outcome.failed == []
    assert outcome.changed is True
    assert [entry["status_after"] for entry in outcome.executions] == ["Stopped"] * 250
    assert service.actions().count("StopExecution") == 250
    assert service.actions().count("DescribeExecution") == 0
    watch_lists = [params for action, params in service.calls[250:] if action == "ListExecutions"]
    assert watch_lists and all(params["Limit"] == LIST_PAGE_SIZE for params in watch_lists)
    # Waiting ended after the stops had landed, not after a fixed sleep.
    assert clock.now - 1000.0 < 2.0 + _bulk_stop.MAX_POLL_INTERVAL


def test_watch_filters_by_status_and_common_prefix() -> None:
    clock = FakeClock()
    executions = dict(running(3, "nightly-"), **{"other": "Running"})
    service = AsyncStopService(clock, executions, stop_delay=1.0)
    outcome = stop(service, clock, wait=True, name_prefix="nightly-")
    assert [entry["name"] for entry in outcome.executions] == ["nightly-000", "nightly-001", "nightly-002"]
    listings = [params for action, params in service.calls if action == "ListExecutions"]
    in_progress_polls = [params for params in listings if params.get("Status") in ("Starting", "Running")]
    assert all(params["ExecutionNamePrefix"] == "nightly-00" for params in in_progress_polls[2:])
    assert {params.get("Status") for params in listings} == {"Starting", "Running", "Stopped"}
    assert service.executions["other"]["Status"] == "Running"


def test_the_poll_interval_grows_and_is_capped() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(2), stop_delay=60.0)
    outcome = stop(service, clock, wait=True, wait_timeout=300)
    assert outcome.failed == []
    assert clock.sleeps[0] == _bulk_stop.FIRST_POLL_INTERVAL
    assert all(later >= earlier for earlier, later in zip(clock.sleeps, clock.sleeps[1:]))
    assert max(clock.sleeps) == _bulk_stop.MAX_POLL_INTERVAL
    # About 60 s at a few seconds a poll: a dozen polls, two status listings each, not one a second.
    assert len(clock.sleeps) < 20


def test_one_execution_keeps_the_long_poll() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(1), stop_delay=3.0)
    outcome = stop(service, clock, wait=True)
    assert outcome.executions[0]["status_after"] == "Stopped"
    describes = [params for action, params in service.calls if action == "DescribeExecution"]
    assert len(describes) == 1 and describes[0]["WaitTimeSeconds"] > 0
    assert clock.sleeps == []


def test_the_long_poll_strategy_describes_each_execution() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(5), stop_delay=1.0)
    outcome = stop(service, clock, wait=True, wait_strategy="long_poll")
    assert [entry["status_after"] for entry in outcome.executions] == ["Stopped"] * 5
    assert service.actions().count("DescribeExecution") >= 5


def test_a_timeout_fails_only_the_executions_still_running() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(3), stop_delay=1.0)
    service.never_stop.add("run-001")
    outcome = stop(service, clock, wait=True, wait_timeout=30)
    assert [entry["name"] for entry in outcome.failed] == ["run-001"]
    failed = outcome.failed[0]
    assert failed["changed"] is True and failed["status_after"] == "Running"
    assert "Timed out after 30 seconds" in failed["error"]["message"] and "last status seen: Running" in failed["error"]["message"]
    assert {entry["name"]: entry["status_after"] for entry in outcome.executions if not entry["error"]} == {
        "run-000": "Stopped", "run-002": "Stopped"}
    assert 30.0 <= clock.now - 1000.0 <= 30.0 + _bulk_stop.MAX_POLL_INTERVAL
    assert "Could not stop or wait for 1 of 3" in outcome.message() and "(3 stop request(s) accepted)" in outcome.message()


def test_an_execution_that_finished_another_way_reports_its_real_status() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(3), stop_delay=1.0)
    service.finish_instead["run-002"] = "Succeeded"
    outcome = stop(service, clock, wait=True)
    assert [entry["status_after"] for entry in outcome.executions] == ["Stopped", "Stopped", "Succeeded"]
    # Only the one missing from the Stopped listing is read on its own.
    assert [params["ExecutionName"] for action, params in service.calls if action == "DescribeExecution"] == ["run-002"]


def test_a_failing_watch_listing_fails_the_waited_entries_without_raising() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(3), stop_delay=5.0)
    entries = stop(service, clock).executions  # stops sent, no wait
    service.failing["ListExecutions"] = 1
    watch_until_finished(service, FLOW, entries, clock() + 60, 60, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert all(entry["error"]["code"] == "InternalServerError" and entry["error"]["request_id"] == "req-500" for entry in entries)


def test_a_partial_stop_failure_does_not_raise_and_names_the_failures() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(4))
    original = service._StopExecution

    def fail_run_002(params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        if params["ExecutionName"] == "run-002":
            raise ApiError("StopExecution", 500, "InternalServerError", "the service failed", "req-500", attempts=7)
        return original(params)

    service._StopExecution = fail_run_002  # type: ignore[method-assign]
    outcome = stop(service, clock, wait=True)
    assert [entry["name"] for entry in outcome.failed] == ["run-002"]
    assert outcome.changed is True and outcome.stopped_count == 3
    assert outcome.failed[0]["error"]["code"] == "InternalServerError"
    assert "run-002: InternalServerError: the service failed (RequestId: req-500)" in outcome.message()


def test_check_mode_lists_and_sends_no_write() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, dict(running(2), done="Succeeded"))
    outcome = stop(service, clock, check_mode=True, wait=True)
    assert set(service.actions()) == {"ListExecutions"}
    assert outcome.changed is True and [entry["name"] for entry in outcome.executions] == ["run-000", "run-001"]
    assert outcome.message() == "Would stop 2 of 2 in-progress execution(s) of flow 'flow'"


def test_nothing_in_progress_is_unchanged() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, {"done": "Failed"})
    outcome = stop(service, clock, wait=True)
    assert outcome.executions == [] and outcome.changed is False and outcome.failed == []
    assert outcome.message() == "Stopped 0 of 0 in-progress execution(s) of flow 'flow'"


def test_entries_keep_the_module_result_shape_and_inputs() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(2))
    entry = stop(service, clock).executions[1]
    assert set(entry) == {"name", "flow_name", "status_before", "status_after", "changed", "started_time", "input", "error"}
    assert entry["input"] == {"n": 1} and entry["flow_name"] == FLOW and entry["status_before"] == "Running"


def test_listing_paged_in_small_pages_still_sees_everything() -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(23), stop_delay=2.0, page_size=5)
    outcome = stop(service, clock, wait=True)
    assert len(outcome.executions) == 23 and outcome.failed == []
    assert {entry["status_after"] for entry in outcome.executions} == {"Stopped"}


@pytest.mark.parametrize("options, option", [
    ({"concurrency": 0}, "concurrency"),
    ({"wait": True, "wait_timeout": 0}, "wait_timeout"),
    ({"wait_strategy": "sometimes"}, "wait_strategy"),
    ({"started_after": "yesterday"}, "started_after"),
])
def test_bad_arguments_fail_before_any_request(options: dict[str, t.Any], option: str) -> None:
    clock = FakeClock()
    service = AsyncStopService(clock, running(1))
    with pytest.raises(ConfigurationError) as raised:
        stop(service, clock, **options)
    assert raised.value.option == option
    assert service.calls == []
