# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The schedule operations: what is sent, paging, and which answers mean 'gone'."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError
from ansible_collections.seed.cloudflow.plugins.module_utils._schedules import (
    create_schedule,
    delete_schedule,
    describe_schedule,
    list_schedules,
    schedule_result,
    update_schedule,
)
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow


class ScriptedClient:
    """Answers each action with the next scripted reply (a dict) or raises it (an ApiError); records the parameters."""

    def __init__(self, script: dict[str, list[t.Any]]) -> None:
        self.script = script
        self.calls: list[tuple[str, dict[str, t.Any]]] = []

    def call(self, action: str, params: t.Mapping[str, t.Any], *, read_timeout: t.Optional[float] = None) -> dict[str, t.Any]:
        self.calls.append((action, dict(params)))
        reply = self.script[action].pop(0)
        if isinstance(reply, ApiError):
            raise reply
        return reply


def api_error(action: str, code: str, status: int = 404, attempts: int = 1) -> ApiError:
    return ApiError(action, status, code, "text", "req-1", attempts=attempts)


RAW = {
    "ScheduleName": "nightly", "ScheduleId": "sid", "CronExpression": "0 0 4 * * *", "Payload": '{"a": [1, "x"]}',
    "Description": "d", "Enable": True, "CreatedTime": "2024-05-01T00:00:00.000Z", "LastModifiedTime": "2024-05-02T00:00:00.000Z",
    "RequestId": "req",
}


def test_schedule_result_shape() -> None:
    assert schedule_result(RAW, "flow") == {
        "name": "nightly", "flow_name": "flow", "id": "sid", "cron_expression": "0 0 4 * * *", "payload": {"a": [1, "x"]},
        "description": "d", "enabled": True, "created_time": "2024-05-01T00:00:00.000Z", "last_modified_time": "2024-05-02T00:00:00.000Z",
    }


@pytest.mark.parametrize("payload, parsed", [("", None), (None, None), ("not json", "not json"), ("[1]", [1]), ('{"k": null}', {"k": None})])
def test_payload_is_parsed_when_json(payload: t.Optional[str], parsed: t.Any) -> None:
    assert schedule_result(dict(RAW, Payload=payload), "flow")["payload"] == parsed


@pytest.mark.parametrize("enable, enabled", [(True, True), (False, False), ("true", True), ("false", False), (None, None)])
def test_enable_is_a_bool(enable: t.Any, enabled: t.Optional[bool]) -> None:
    assert schedule_result(dict(RAW, Enable=enable), "flow")["enabled"] is enabled


def test_describe_missing_schedule_is_none_and_missing_flow_raises() -> None:
    client = ScriptedClient({"DescribeSchedule": [api_error("DescribeSchedule", "ScheduleNotExists"), api_error("DescribeSchedule", "FlowNotExists")]})
    assert describe_schedule(client, "flow", "nightly") is None  # type: ignore[arg-type]
    with pytest.raises(ApiError) as raised:
        describe_schedule(client, "flow", "nightly")  # type: ignore[arg-type]
    assert raised.value.code == "FlowNotExists"
    assert client.calls[0] == ("DescribeSchedule", {"FlowName": "flow", "ScheduleName": "nightly"})


def test_list_follows_next_token_with_the_largest_page() -> None:
    client = ScriptedClient({"ListSchedules": [
        {"Schedules": [{"ScheduleName": "a"}, {"ScheduleName": "b"}], "NextToken": "c"},
        {"Schedules": [{"ScheduleName": "c"}], "NextToken": ""},
    ]})
    assert [schedule["ScheduleName"] for schedule in list_schedules(client, "flow")] == ["a", "b", "c"]  # type: ignore[arg-type]
    assert client.calls == [
        ("ListSchedules", {"FlowName": "flow", "Limit": 1000}),
        ("ListSchedules", {"FlowName": "flow", "Limit": 1000, "NextToken": "c"}),
    ]


def test_list_stops_when_the_service_echoes_the_token_it_was_sent() -> None:
    # ListSchedules documents its NextToken as the flow's name: a token that does not advance ends the listing.
    service = FakeCloudFlow(page_size=1, stuck_token="flow", call_limit=5)
    service.add_schedule("flow", "a")
    service.add_schedule("flow", "b")
    assert [schedule["ScheduleName"] for schedule in list_schedules(service, "flow")] == ["a", "a"]  # type: ignore[arg-type]
    assert service.calls == [
        ("ListSchedules", {"FlowName": "flow", "Limit": 1000}),
        ("ListSchedules", {"FlowName": "flow", "Limit": 1000, "NextToken": "flow"}),
    ]


def test_list_of_a_flow_without_schedules() -> None:
    client = ScriptedClient({"ListSchedules": [{"RequestId": "r"}]})
    assert list(list_schedules(client, "flow")) == []  # type: ignore[arg-type]


def test_create_sends_given_fields_with_python_bools() -> None:
    client = ScriptedClient({"CreateSchedule": [RAW]})
    create_schedule(client, "flow", "nightly", cron_expression="@every 5m", payload={"b": 2, "a": 1}, enabled=False)  # type: ignore[arg-type]
    assert client.calls == [("CreateSchedule", {
        "FlowName": "flow", "ScheduleName": "nightly", "CronExpression": "@every 5m", "Payload": '{"a":1,"b":2}',
        "Description": None, "Enable": False,
    })]


def test_update_sends_only_the_given_fields() -> None:
    client = ScriptedClient({"UpdateSchedule": [RAW, RAW]})
    update_schedule(client, "flow", "nightly", enabled=True)  # type: ignore[arg-type]
    update_schedule(client, "flow", "nightly", payload='{"z": 1}', description="")  # type: ignore[arg-type]
    assert client.calls == [
        ("UpdateSchedule", {"FlowName": "flow", "ScheduleName": "nightly", "Enable": True}),
        ("UpdateSchedule", {"FlowName": "flow", "ScheduleName": "nightly", "Payload": '{"z": 1}', "Description": ""}),
    ]


def test_update_rejects_unknown_fields() -> None:
    client = ScriptedClient({})
    with pytest.raises(TypeError):
        update_schedule(client, "flow", "nightly", enable=True)  # type: ignore[arg-type]
    assert client.calls == []


@pytest.mark.parametrize("reply, deleted", [
    ({"RequestId": "r"}, True),
    (api_error("DeleteSchedule", "ScheduleNotExists"), False),
    (api_error("DeleteSchedule", "FlowNotExists"), False),
    (api_error("DeleteSchedule", "ScheduleNotExists", attempts=2), True),  # our earlier attempt deleted it, reply lost
])
def test_delete(reply: t.Any, deleted: bool) -> None:
    client = ScriptedClient({"DeleteSchedule": [reply]})
    assert delete_schedule(client, "flow", "nightly") is deleted  # type: ignore[arg-type]


def test_delete_other_errors_propagate() -> None:
    client = ScriptedClient({"DeleteSchedule": [api_error("DeleteSchedule", "ConcurrentUpdateError", 409, attempts=7)]})
    with pytest.raises(ApiError):
        delete_schedule(client, "flow", "nightly")  # type: ignore[arg-type]
