# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, TransportError
from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_schedule
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"
BASE = {"flow_name": FLOW, "name": "nightly"}


@pytest.fixture(autouse=True)
def flow(service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)


def add(service: FakeCloudFlow, name: str = "nightly", cron: str = "0 0 4 * * *", **fields: t.Any) -> dict[str, t.Any]:
    return service.add_schedule(FLOW, name, cron, **fields)


def run(run_main: t.Callable[..., dict[str, t.Any]], **args: t.Any) -> dict[str, t.Any]:
    return run_main(cloudflow_schedule.main, dict(BASE, **args))


@pytest.mark.parametrize("given, option, rule", [
    ({"cron_expression": "*/5 * * * *"}, "cron_expression", "six fields"),
    ({"cron_expression": "@every 30s"}, "cron_expression", "unit m"),
    ({"cron_expression": "@every 0m"}, "cron_expression", "minimum interval"),
    ({"cron_expression": "*/10 * * * * *"}, "cron_expression", "single number"),
    ({"cron_expression": "0 0 25 * * *"}, "cron_expression", "out of range"),
    ({"payload": "[1, 2]"}, "payload", "JSON object"),
    ({"payload": "{not json"}, "payload", "not JSON"),
    ({"payload": 5}, "payload", "JSON object"),
    ({"flow_name": "1flow"}, "flow_name", "starting with a letter"),
    ({"name": "a b"}, "name", "letters, digits"),
    ({"name": "x" * 129}, "name", "1-128"),
    ({"enabled": "perhaps"}, "enabled", "bool"),
    ({"state": "paused"}, "state", "one of"),
])
def test_bad_input_fails_naming_the_option_before_any_request(run_main, service, given: dict[str, t.Any], option: str, rule: str) -> None:
    result = run(run_main, **dict({"cron_expression": "0 0 4 * * *"}, **given))
    assert result["failed"], result
    assert option in result["msg"] and rule in result["msg"], result["msg"]
    assert service.calls == []


def test_bad_cron_fails_before_any_request_on_absent_too(run_main, service) -> None:
    result = run(run_main, state="absent", cron_expression="* * * * *")
    assert result["failed"] and "cron_expression" in result["msg"]
    assert service.calls == []


def test_create_sends_every_given_field_and_enable_true_by_default(run_main, service) -> None:
    result = run(run_main, cron_expression="CRON_TZ=Asia/Shanghai  0 30 2 * * *", payload={"b": 1, "a": [True]}, description="nightly run")
    assert result["changed"] is True and not result.get("failed"), result
    assert service.writes() == [("CreateSchedule", {
        "FlowName": FLOW, "ScheduleName": "nightly", "CronExpression": "CRON_TZ=Asia/Shanghai 0 30 2 * * *",
        "Payload": '{"a":[true],"b":1}', "Description": "nightly run", "Enable": True,
    })]
    schedule = result["schedule"]
    assert schedule["flow_name"] == FLOW and schedule["name"] == "nightly"
    assert schedule["payload"] == {"a": [True], "b": 1}
    assert schedule["enabled"] is True
    assert schedule["id"] and schedule["created_time"]
    # on create: every option the task set, and enabled, which is sent as true when omitted
    assert result["changes"] == ["cron_expression", "payload", "description", "enabled"]


def test_create_disabled(run_main, service) -> None:
    result = run(run_main, cron_expression="@every 5m", enabled=False)
    assert result["changed"] and result["schedule"]["enabled"] is False
    assert service.writes()[0][1]["Enable"] is False


def test_create_needs_a_cron_expression(run_main, service) -> None:
    result = run(run_main, payload={"a": 1})
    assert result["failed"] and "cron_expression" in result["msg"] and "required to create" in result["msg"]
    assert service.writes() == []


def test_a_missing_flow_fails_with_the_service_error(run_main, service) -> None:
    result = run(run_main, flow_name="other", cron_expression="@every 5m")
    assert result["failed"]
    assert result["error"]["code"] == "FlowNotExists" and result["error"]["http_status"] == 404
    assert "'other'" in result["msg"] and "RequestId" in result["msg"]


@pytest.mark.parametrize("payload", [{"a": 1, "b": [1, 2]}, '{"b": [1, 2],   "a": 1}', '{"a":1,"b":[1,2]}'])
def test_same_payload_in_another_form_is_no_change(run_main, service, payload: t.Any) -> None:
    add(service, cron="0 0 4 * * *", payload='{"a": 1, "b": [1, 2]}', description="d")
    result = run(run_main, cron_expression="0  0 4 * * *", payload=payload, description="d")
    assert result["changed"] is False, result
    assert result["changes"] == []
    assert service.writes() == []


def test_only_the_changed_field_is_sent(run_main, service) -> None:
    add(service, cron="0 0 4 * * *", payload='{"a": 1}', description="d")
    result = run(run_main, cron_expression="0 0 5 * * *", payload={"a": 1}, description="d")
    assert result["changed"] is True
    assert result["changes"] == ["cron_expression"]
    assert service.writes() == [("UpdateSchedule", {"FlowName": FLOW, "ScheduleName": "nightly", "CronExpression": "0 0 5 * * *"})]
    assert result["schedule"]["cron_expression"] == "0 0 5 * * *"
    assert result["schedule"]["last_modified_time"] == "2024-05-02T00:00:00.000Z"


def test_payload_change_is_sent_as_json_text(run_main, service) -> None:
    add(service, payload='{"a": 1}')
    result = run(run_main, payload={"a": 2})
    assert result["changes"] == ["payload"]
    assert service.writes() == [("UpdateSchedule", {"FlowName": FLOW, "ScheduleName": "nightly", "Payload": '{"a":2}'})]
    assert result["schedule"]["payload"] == {"a": 2}


@pytest.mark.parametrize("enabled", [True, False])
def test_omitted_enabled_leaves_the_schedule_as_it_is(run_main, service, enabled: bool) -> None:
    add(service, enabled=enabled)
    result = run(run_main, cron_expression="0 0 4 * * *")
    assert result["changed"] is False
    assert result["schedule"]["enabled"] is enabled
    assert service.writes() == []


def test_enabled_given_is_enforced(run_main, service) -> None:
    add(service, enabled=False)
    result = run(run_main, enabled=True)
    assert result["changed"] and result["changes"] == ["enabled"]
    assert service.writes() == [("UpdateSchedule", {"FlowName": FLOW, "ScheduleName": "nightly", "Enable": True})]


def test_check_mode_create_sends_no_write_and_predicts(run_main, service) -> None:
    result = run(run_main, cron_expression="@every 5m", payload='{"x": 1}', _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True
    assert service.writes() == []
    assert service.actions() == ["DescribeSchedule"]
    assert result["schedule"]["payload"] == {"x": 1} and result["schedule"]["enabled"] is True and result["schedule"]["id"] is None
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["cron_expression"] == "@every 5m"


def test_check_mode_update_reports_exactly_what_would_change(run_main, service) -> None:
    add(service, cron="0 0 4 * * *", description="old", enabled=True)
    result = run(run_main, cron_expression="0 0 4 * * *", description="new", enabled=False, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True
    assert result["changes"] == ["description", "enabled"]
    assert service.writes() == []
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert (before["description"], before["enabled"]) == ("old", True)
    assert (after["description"], after["enabled"]) == ("new", False)
    assert before["cron_expression"] == after["cron_expression"]
    assert service.schedule(FLOW, "nightly")["Description"] == "old"


def test_check_mode_result_matches_the_real_run(run_main, service) -> None:
    add(service, payload='{"a": 1}')
    planned = run(run_main, payload={"a": 2}, enabled=False, _ansible_check_mode=True, _ansible_diff=True)
    applied = run(run_main, payload={"a": 2}, enabled=False, _ansible_diff=True)
    assert planned["changed"] == applied["changed"] and planned["changes"] == applied["changes"]
    assert planned["diff"] == applied["diff"]


def test_diff_of_a_real_update(run_main, service) -> None:
    add(service, payload='{"a": 1}')
    result = run(run_main, payload='{"a": 2}', _ansible_diff=True)
    assert result["diff"]["before"]["payload"] == {"a": 1}
    assert result["diff"]["after"]["payload"] == {"a": 2}
    assert set(result["diff"]["after"]) == set(cloudflow_schedule.DIFF_FIELDS)


def test_absent_deletes_then_is_no_change(run_main, service) -> None:
    add(service)
    first = run(run_main, state="absent", _ansible_diff=True)
    assert first["changed"] is True and first["schedule"] is None
    assert first["diff"]["after"] == {} and first["diff"]["before"]["name"] == "nightly"
    second = run(run_main, state="absent")
    assert second["changed"] is False
    assert service.write_actions() == ["DeleteSchedule"]


def test_absent_in_check_mode_sends_no_write(run_main, service) -> None:
    add(service)
    result = run(run_main, state="absent", _ansible_check_mode=True)
    assert result["changed"] is True
    assert service.writes() == [] and "nightly" in service.flows[FLOW]["schedules"]


def test_absent_with_a_missing_flow_is_no_change(run_main, service) -> None:
    result = run(run_main, flow_name="gone", state="absent")
    assert result["changed"] is False and not result.get("failed")
    assert service.writes() == []


def test_created_elsewhere_meanwhile_is_converged(run_main, service) -> None:
    service.inject("DescribeSchedule", ApiError("DescribeSchedule", 404, "ScheduleNotExists", "gone", "r"))
    add(service, cron="0 0 4 * * *", enabled=True)
    result = run(run_main, cron_expression="0 0 6 * * *")
    assert result["changed"] is True and result["changes"] == ["cron_expression"]
    assert service.write_actions() == ["CreateSchedule", "UpdateSchedule"]
    assert service.schedule(FLOW, "nightly")["CronExpression"] == "0 0 6 * * *"


def test_created_by_our_own_lost_attempt_is_a_change(run_main, service) -> None:
    service.inject("DescribeSchedule", ApiError("DescribeSchedule", 404, "ScheduleNotExists", "gone", "r"))
    add(service, cron="0 0 6 * * *")
    service.inject("CreateSchedule", ApiError("CreateSchedule", 409, "ScheduleAlreadyExists", "exists", "r", attempts=2))
    result = run(run_main, cron_expression="0 0 6 * * *")
    assert result["changed"] is True and result["schedule"]["cron_expression"] == "0 0 6 * * *"
    assert service.write_actions() == ["CreateSchedule"]


def test_service_errors_carry_code_message_and_request_id(run_main, service) -> None:
    add(service)
    service.inject("UpdateSchedule", ApiError("UpdateSchedule", 409, "ConcurrentUpdateError", "Update conflict, please retry.", "req-9", attempts=7))
    result = run(run_main, description="x", access_key_secret="secret-value", access_key_id="id")
    assert result["failed"]
    assert result["error"] == {"action": "UpdateSchedule", "http_status": 409, "code": "ConcurrentUpdateError",
                               "message": "Update conflict, please retry.", "request_id": "req-9"}
    assert "req-9" in result["msg"] and "secret-value" not in json.dumps(result)


def test_check_mode_on_a_flow_that_does_not_exist_yet_would_create(run_main, service) -> None:
    # A play that creates the flow and then its schedule, run with --check: the flow task only said it would create.
    result = run(run_main, flow_name="new-flow", cron_expression="@every 5m", _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert service.writes() == []
    assert result["schedule"]["flow_name"] == "new-flow" and result["schedule"]["enabled"] is True
    assert result["changes"] == ["cron_expression", "enabled"]
    assert any("'new-flow' does not exist yet" in warning for warning in result["warnings"])
    assert result["diff"]["before"] == {} and result["diff"]["after"]["cron_expression"] == "@every 5m"


def test_check_mode_on_a_missing_flow_still_needs_a_cron_expression(run_main, service) -> None:
    result = run(run_main, flow_name="new-flow", payload={"a": 1}, _ansible_check_mode=True)
    assert result["failed"] and "cron_expression: is required to create" in result["msg"]


def test_absent_in_check_mode_with_a_missing_flow_is_no_change(run_main, service) -> None:
    result = run(run_main, flow_name="gone", state="absent", _ansible_check_mode=True)
    assert result["changed"] is False and not result.get("failed")
    assert service.writes() == []


def test_a_missing_description_reads_as_empty_text(run_main, service) -> None:
    del add(service)["Description"]
    result = run(run_main, cron_expression="0 0 4 * * *")
    assert result["changed"] is False and result["schedule"]["description"] == ""
    created = run(run_main, name="other", cron_expression="0 0 4 * * *", _ansible_check_mode=True)
    assert created["schedule"]["description"] == ""


def test_transport_failures_name_the_schedule_and_flow(run_main, service) -> None:
    service.inject("DescribeSchedule", TransportError("DescribeSchedule", 7, "connection refused", endpoint="http://127.0.0.1:9"))
    result = run(run_main, cron_expression="0 0 4 * * *")
    assert result["failed"]
    assert result["msg"].startswith("Schedule 'nightly' of flow 'flow': DescribeSchedule failed: could not reach"), result["msg"]


def test_a_payload_of_the_wrong_type_names_the_type_in_plain_words(run_main, service) -> None:
    result = run(run_main, cron_expression="0 0 4 * * *", payload=5)
    assert result["failed"] and "got an int" in result["msg"] and "a int" not in result["msg"], result["msg"]
