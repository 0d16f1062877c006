# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Races and retried writes in the execution operations."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import (
    execution_history,
    list_executions,
    list_in_progress_executions,
    request_start,
    request_stop,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._http import iterate_pages
from ansible_collections.seed.cloudflow.tests.unit.plugins.module_utils.paging_client import RepeatingTokenClient


class ScriptedClient:
    """Answers each action with the next scripted reply (a dict) or raises it (an ApiError)."""

    def __init__(self, script: dict[str, list[t.Any]]) -> None:
        self.script = script
        self.actions: list[str] = []

    def call(self, action: str, params: t.Mapping[str, t.Any], *, read_timeout: t.Optional[float] = None) -> dict[str, t.Any]:
        self.actions.append(action)
        reply = self.script[action].pop(0)
        if isinstance(reply, ApiError):
            raise reply
        return reply


def execution(status: str) -> dict[str, t.Any]:
    return {"Name": "run-1", "FlowName": "flow", "Status": status}


def completed(attempts: int) -> ApiError:
    return ApiError("StopExecution", 400, "ExecutionAlreadyCompleted", "has already completed", "req-1", attempts=attempts)


def test_a_stop_that_is_accepted_is_ours() -> None:
    client = ScriptedClient({"StopExecution": [execution("Running")]})
    assert request_stop(client, "flow", "run-1") == (True, execution("Running"))  # type: ignore[arg-type]


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
    client = ScriptedClient({"StopExecution": [completed(attempts)], "DescribeExecution": [execution(status)]})
    stopped_by_us, found = request_stop(client, "flow", "run-1")  # type: ignore[arg-type]
    assert stopped_by_us is ours
    assert found["Status"] == status
    assert client.actions == ["StopExecution", "DescribeExecution"]


def test_other_stop_errors_propagate() -> None:
    error = ApiError("StopExecution", 404, "ExecutionNotExists", "does not exist", "req-2")
    client = ScriptedClient({"StopExecution": [error]})
    with pytest.raises(ApiError) as raised:
        request_stop(client, "flow", "run-1")  # type: ignore[arg-type]
    assert raised.value.code == "ExecutionNotExists"


@pytest.mark.parametrize("attempts, ours", [(1, False), (2, True)])
def test_already_exists_on_start_is_ours_only_after_a_retry(attempts: int, ours: bool) -> None:
    exists = ApiError("StartExecution", 400, "ExecutionAlreadyExists", "already exists", "req-3", attempts=attempts)
    client = ScriptedClient({"StartExecution": [exists], "DescribeExecution": [execution("Succeeded")]})
    started_by_us, found = request_start(client, "flow", "run-1", '{"a":1}')  # type: ignore[arg-type]
    assert started_by_us is ours
    assert found["Status"] == "Succeeded"


# ---------------------------------------------------------------------------------------------
# paging: a NextToken that does not advance ends the listing instead of repeating the same call


def test_list_executions_stops_when_the_service_repeats_a_token() -> None:
    client = RepeatingTokenClient("Executions", "page-2")
    assert [execution["Name"] for execution in list_executions(client, "flow", "Running")] == ["a", "a"]  # type: ignore[arg-type]
    assert [params.get("NextToken") for _action, params in client.calls] == [None, "page-2"]


def test_the_in_progress_listing_stops_when_the_service_repeats_a_token() -> None:
    client = RepeatingTokenClient("Executions", "page-2")
    assert [execution["Name"] for execution in list_in_progress_executions(client, "flow")] == ["a"]  # type: ignore[arg-type]
    # two passes (Starting, Running), two calls each
    assert [(params["Status"], params.get("NextToken")) for _action, params in client.calls] == [
        ("Starting", None), ("Starting", "page-2"), ("Running", None), ("Running", "page-2"),
    ]


def test_execution_history_stops_when_the_service_repeats_a_token() -> None:
    client = RepeatingTokenClient("Events", "7")
    assert len(execution_history(client, "flow", "run-1")) == 2  # type: ignore[arg-type]
    assert len(client.calls) == 2


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
