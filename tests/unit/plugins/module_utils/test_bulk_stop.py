# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils import _bulk_stop
from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import stop_in_progress, watch_until_finished
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import LIST_PAGE_SIZE
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"
START = 1000.0


def service_with(executions: dict[str, str], stop_delay: float = 0.0, page_size: int = 100) -> FakeCloudFlow:
    """One flow whose executions stop `stop_delay` fake seconds after StopExecution, like the real service; each has
    the input {"n": its index} and starts a minute after the one before."""
    service = FakeCloudFlow(stop_delay=stop_delay, page_size=page_size)
    assert service.clock.now == START
    for index, (name, status) in enumerate(executions.items()):
        service.add_execution(FLOW, name, status, input_text='{"n": %d}' % index,
                              started_time="2024-05-01T00:{0:02d}:00.000Z".format(index % 60))
    return service


def running(count: int, prefix: str = "run-") -> dict[str, str]:
    return {"{0}{1:03d}".format(prefix, index): "Running" for index in range(count)}


def stop(service: FakeCloudFlow, **options: t.Any) -> _bulk_stop.BulkStopOutcome:
    return stop_in_progress(service, FLOW, clock=service.clock, sleep=service.clock.sleep, **options)  # type: ignore[arg-type]


def failed_listing() -> ApiError:
    return ApiError("ListExecutions", 500, "InternalServerError", "the service failed", "req-500", attempts=7)


def test_many_executions_are_watched_with_list_pages_not_one_describe_each() -> None:
    service = service_with(running(250), stop_delay=2.0)
    outcome = stop(service, wait=True, cause="maintenance")
    assert outcome.failed == []
    assert outcome.changed is True
    assert [entry["status_after"] for entry in outcome.executions] == ["Stopped"] * 250
    assert service.actions().count("StopExecution") == 250
    assert service.actions().count("DescribeExecution") == 0
    watch_lists = [params for action, params in service.calls[250:] if action == "ListExecutions"]
    assert watch_lists and all(params["Limit"] == LIST_PAGE_SIZE for params in watch_lists)
    # Waiting ended after the stops had landed, not after a fixed sleep.
    assert service.clock.now - START < 2.0 + _bulk_stop.MAX_POLL_INTERVAL


def test_watch_filters_by_status_and_common_prefix() -> None:
    executions = dict(running(3, "nightly-"), **{"other": "Running"})
    service = service_with(executions, stop_delay=1.0)
    outcome = stop(service, wait=True, name_prefix="nightly-")
    assert [entry["name"] for entry in outcome.executions] == ["nightly-000", "nightly-001", "nightly-002"]
    listings = service.sent("ListExecutions")
    in_progress_polls = [params for params in listings if params.get("Status") in ("Starting", "Running")]
    assert all(params["ExecutionNamePrefix"] == "nightly-00" for params in in_progress_polls[2:])
    assert {params.get("Status") for params in listings} == {"Starting", "Running", "Stopped"}
    assert service.status(FLOW, "other") == "Running"


def test_the_poll_interval_grows_and_is_capped() -> None:
    service = service_with(running(2), stop_delay=60.0)
    outcome = stop(service, wait=True, wait_timeout=300)
    assert outcome.failed == []
    sleeps = service.clock.sleeps
    assert sleeps[0] == _bulk_stop.FIRST_POLL_INTERVAL
    assert all(later >= earlier for earlier, later in zip(sleeps, sleeps[1:]))
    assert max(sleeps) == _bulk_stop.MAX_POLL_INTERVAL
    # About 60 s at a few seconds a poll: a dozen polls, two status listings each, not one a second.
    assert len(sleeps) < 20


def test_one_execution_keeps_the_long_poll() -> None:
    service = service_with(running(1), stop_delay=3.0)
    outcome = stop(service, wait=True)
    assert outcome.executions[0]["status_after"] == "Stopped"
    describes = service.sent("DescribeExecution")
    assert len(describes) == 1 and describes[0]["WaitTimeSeconds"] > 0
    assert service.clock.sleeps == []


def test_a_timeout_fails_only_the_executions_still_running() -> None:
    service = service_with(running(3), stop_delay=1.0)
    service.never_stops(FLOW, "run-001")
    outcome = stop(service, wait=True, wait_timeout=30)
    assert [entry["name"] for entry in outcome.failed] == ["run-001"]
    failed = outcome.failed[0]
    assert failed["changed"] is True and failed["status_after"] == "Running"
    assert "Timed out after 30 seconds" in failed["error"]["message"] and "last status seen: Running" in failed["error"]["message"]
    assert {entry["name"]: entry["status_after"] for entry in outcome.executions if not entry["error"]} == {
        "run-000": "Stopped", "run-002": "Stopped"}
    assert 30.0 <= service.clock.now - START <= 30.0 + _bulk_stop.MAX_POLL_INTERVAL
    assert "Could not stop or wait for 1 of 3" in outcome.message() and "(3 stop request(s) accepted)" in outcome.message()


def test_an_execution_that_finished_another_way_reports_its_real_status() -> None:
    service = service_with(running(3), stop_delay=1.0)
    service.finish_after(FLOW, "run-002", 0.5)  # it succeeds before the stop lands
    outcome = stop(service, wait=True)
    assert [entry["status_after"] for entry in outcome.executions] == ["Stopped", "Stopped", "Succeeded"]
    # Only the one missing from the Stopped listing is read on its own.
    assert [params["ExecutionName"] for params in service.sent("DescribeExecution")] == ["run-002"]


def test_a_failing_watch_listing_fails_the_waited_entries_without_raising() -> None:
    service = service_with(running(3), stop_delay=5.0)
    entries = stop(service).executions  # stops sent, no wait
    service.inject("ListExecutions", failed_listing())
    clock = service.clock
    watch_until_finished(service, FLOW, entries, clock() + 60, 60, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert all(entry["error"]["code"] == "InternalServerError" and entry["error"]["request_id"] == "req-500" for entry in entries)


def test_a_partial_stop_failure_does_not_raise_and_names_the_failures() -> None:
    service = service_with(running(4))
    service.inject("StopExecution", ApiError("StopExecution", 500, "InternalServerError", "the service failed", "req-500", attempts=7),
                   target="run-002")
    outcome = stop(service, wait=True)
    assert [entry["name"] for entry in outcome.failed] == ["run-002"]
    assert outcome.changed is True and outcome.stopped_count == 3
    assert outcome.failed[0]["error"]["code"] == "InternalServerError"
    assert "run-002: InternalServerError: the service failed (RequestId: req-500)" in outcome.message()


def test_check_mode_lists_and_sends_no_write() -> None:
    service = service_with(dict(running(2), done="Succeeded"))
    outcome = stop(service, check_mode=True, wait=True)
    assert set(service.actions()) == {"ListExecutions"}
    assert outcome.changed is True and [entry["name"] for entry in outcome.executions] == ["run-000", "run-001"]
    assert outcome.message() == "Would stop 2 of 2 in-progress execution(s) of flow 'flow'"


def test_nothing_in_progress_is_unchanged() -> None:
    service = service_with({"done": "Failed"})
    outcome = stop(service, wait=True)
    assert outcome.executions == [] and outcome.changed is False and outcome.failed == []
    assert outcome.message() == "Stopped 0 of 0 in-progress execution(s) of flow 'flow'"


def test_entries_keep_the_module_result_shape_and_inputs() -> None:
    service = service_with(running(2))
    entry = stop(service).executions[1]
    assert set(entry) == {"name", "flow_name", "status_before", "status_after", "changed", "started_time", "input", "error"}
    assert entry["input"] == {"n": 1} and entry["flow_name"] == FLOW and entry["status_before"] == "Running"


def test_listing_paged_in_small_pages_still_sees_everything() -> None:
    service = service_with(running(23), stop_delay=2.0, page_size=5)
    outcome = stop(service, wait=True)
    assert len(outcome.executions) == 23 and outcome.failed == []
    assert {entry["status_after"] for entry in outcome.executions} == {"Stopped"}
