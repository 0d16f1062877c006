# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Races and retried writes in the execution operations."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._client import iterate_pages
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import (
    execution_history,
    list_executions,
    list_in_progress_executions,
    request_start,
    request_stop,
)
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"


def completed(attempts: int) -> ApiError:
    return ApiError("StopExecution", 400, "ExecutionAlreadyCompleted", "has already completed", "req-1", attempts=attempts)


def test_a_stop_that_is_accepted_is_ours() -> None:
    service = FakeCloudFlow(stop_delay=5.0)
    service.add_execution(FLOW, "run-1")
    stopped_by_us, found = request_stop(service, FLOW, "run-1")  # type: ignore[arg-type]
    # The service applies a stop asynchronously: its answer may still say Running.
    assert stopped_by_us is True and (found["Name"], found["Status"]) == ("run-1", "Running")
    assert service.actions() == ["StopExecution"]


@pytest.mark.parametrize(
    "attempts, status, ours",
    [
        (1, "Succeeded", False),  # finished by itself between our read and our stop
        (1, "Stopped", False),  # someone else stopped it: our first and only attempt was refused
        (2, "Succeeded", False),  # finished by itself; our earlier attempt did not stop it
        (3, "Stopped", True),  # our earlier attempt was applied and its reply lost
    ],
)
def test_already_completed_is_a_race_unless_an_earlier_attempt_stopped_it(attempts: int, status: str, ours: bool) -> None:
    service = FakeCloudFlow()
    service.add_execution(FLOW, "run-1", status)
    service.inject("StopExecution", completed(attempts))
    stopped_by_us, found = request_stop(service, FLOW, "run-1")  # type: ignore[arg-type]
    assert stopped_by_us is ours
    assert found["Status"] == status
    assert service.actions() == ["StopExecution", "DescribeExecution"]


def test_other_stop_errors_propagate() -> None:
    service = FakeCloudFlow()
    service.add_flow(FLOW)
    with pytest.raises(ApiError) as raised:
        request_stop(service, FLOW, "run-1")  # type: ignore[arg-type]
    assert raised.value.code == "ExecutionNotExists"


@pytest.mark.parametrize("attempts, ours", [(1, False), (2, True)])
def test_already_exists_on_start_is_ours_only_after_a_retry(attempts: int, ours: bool) -> None:
    service = FakeCloudFlow()
    service.add_execution(FLOW, "run-1", "Succeeded")
    service.inject("StartExecution", ApiError("StartExecution", 400, "ExecutionAlreadyExists", "already exists", "req-3", attempts=attempts))
    started_by_us, found = request_start(service, FLOW, "run-1", '{"a":1}')  # type: ignore[arg-type]
    assert started_by_us is ours
    assert found["Status"] == "Succeeded"


# ---------------------------------------------------------------------------------------------
# paging: a NextToken that does not advance ends the listing instead of repeating the same call


def stuck_service(token: str, statuses: dict[str, str]) -> FakeCloudFlow:
    service = FakeCloudFlow(page_size=1, stuck_token=token, call_limit=5)
    service.add_executions(FLOW, statuses)
    return service


def test_list_executions_stops_when_the_service_repeats_a_token() -> None:
    service = stuck_service("page-2", {"a": "Running", "b": "Running"})
    assert [execution["Name"] for execution in list_executions(service, FLOW, "Running")] == ["a", "a"]  # type: ignore[arg-type]
    assert [params.get("NextToken") for params in service.sent("ListExecutions")] == [None, "page-2"]


def test_the_in_progress_listing_stops_when_the_service_repeats_a_token() -> None:
    service = stuck_service("page-2", {"a": "Starting", "b": "Starting", "c": "Running", "d": "Running"})
    assert [execution["Name"] for execution in list_in_progress_executions(service, FLOW)] == ["a", "c"]  # type: ignore[arg-type]
    # two passes (Starting, Running), two calls each
    assert [(params["Status"], params.get("NextToken")) for params in service.sent("ListExecutions")] == [
        ("Starting", None), ("Starting", "page-2"), ("Running", None), ("Running", "page-2"),
    ]


def test_execution_history_stops_when_the_service_repeats_a_token() -> None:
    service = stuck_service("7", {"a": "Succeeded"})  # two events: started, succeeded
    assert len(execution_history(service, FLOW, "a")) == 2  # type: ignore[arg-type]
    assert [params.get("NextToken") for params in service.sent("GetExecutionHistory")] == [None, "7"]


class PagedClient:
    """Answers a listing from scripted pages, recording what was sent."""

    def __init__(self, pages: list[dict[str, t.Any]]) -> None:
        self.pages = pages
        self.sent: list[dict[str, t.Any]] = []

    def call(self, action: str, params: t.Mapping[str, t.Any], *, read_timeout: t.Optional[float] = None) -> dict[str, t.Any]:
        self.sent.append(dict(params))
        return self.pages.pop(0)


@pytest.mark.parametrize("last_token", [None, ""], ids=["absent", "empty"])
def test_iterate_pages_follows_tokens_until_there_is_none(last_token: t.Optional[str]) -> None:
    client = PagedClient([
        {"Items": [1, 2], "NextToken": "b"},
        {"Items": [3], "NextToken": "c"},
        {"Items": [], "NextToken": last_token} if last_token is not None else {},
    ])
    assert list(iterate_pages(client, "ListThings", {"FlowName": "flow"}, "Items", page_size=2)) == [1, 2, 3]  # type: ignore[arg-type]
    assert client.sent == [
        {"FlowName": "flow", "Limit": 2},
        {"FlowName": "flow", "Limit": 2, "NextToken": "b"},
        {"FlowName": "flow", "Limit": 2, "NextToken": "c"},
    ]


def test_iterate_pages_stops_on_a_token_sent_before_even_when_it_is_not_the_last_one() -> None:
    client = PagedClient([{"Items": [1], "NextToken": "b"}, {"Items": [2], "NextToken": "c"}, {"Items": [3], "NextToken": "b"}])
    assert list(iterate_pages(client, "ListThings", {}, "Items")) == [1, 2, 3]  # type: ignore[arg-type]
    assert [params.get("NextToken") for params in client.sent] == [None, "b", "c"]
    assert "Limit" not in client.sent[0]


def test_iterate_pages_does_not_change_the_caller_s_parameters() -> None:
    params = {"FlowName": "flow"}
    client = PagedClient([{"Items": [1], "NextToken": "b"}, {"Items": [2]}])
    assert list(iterate_pages(client, "ListThings", params, "Items", 10)) == [1, 2]  # type: ignore[arg-type]
    assert params == {"FlowName": "flow"}
