# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import typing as t

import pytest
import yaml

from ansible_collections.seed.cloudflow.plugins.module_utils import _flows
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, TransportError
from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_flow
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

CONNECTION = {"endpoint": "http://127.0.0.1:9", "access_key_id": "LTAIunit", "access_key_secret": "unit-secret"}
DEFINITION = {"version": "v1", "type": "flow", "steps": [{"type": "pass", "name": "one"}]}
DEFINITION_YAML = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: one\n"


def run(run_main: t.Callable[..., dict[str, t.Any]], **args: t.Any) -> dict[str, t.Any]:
    return run_main(cloudflow_flow.main, dict(CONNECTION, **args))


def test_create_sends_every_given_setting(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    result = run(run_main, name="etl", definition=DEFINITION, description="nightly", role_arn="acs:ram::1:role/r",
                 execution_mode="Express", environment={"A": "1", "PORT": 8080})
    assert result["changed"] is True and not result.get("failed")
    assert service.write_actions() == ["CreateFlow"]
    sent = service.sent("CreateFlow")[0]
    assert yaml.safe_load(sent["Definition"]) == DEFINITION
    assert sent["Description"] == "nightly" and sent["Type"] == "FDL" and sent["ExecutionMode"] == "Express"
    assert json.loads(sent["Environment"]) == {"Variables": [{"Name": "A", "Value": "1"}, {"Name": "PORT", "Value": "8080"}]}
    flow = result["flow"]
    assert flow["name"] == "etl" and flow["id"] == "flow-id-1" and flow["execution_mode"] == "Express"
    assert flow["environment"] == {"A": "1", "PORT": "8080"} and flow["role_arn"] == "acs:ram::1:role/r"
    assert result["changes"] == ["definition", "description", "type", "role_arn", "execution_mode", "environment"]


@pytest.mark.parametrize("rerun_definition", [
    pytest.param(DEFINITION, id="dict"),
    pytest.param(DEFINITION_YAML.replace("  - ", "- ").replace("    name", "  name"), id="yaml-other-spacing"),
    pytest.param(json.dumps(DEFINITION, sort_keys=True), id="json-other-order"),
])
def test_a_rerun_with_the_definition_in_another_form_sends_no_write(
    service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]], rerun_definition: t.Any
) -> None:
    service.add_flow("etl", definition=DEFINITION_YAML, description="nightly")
    result = run(run_main, name="etl", definition=rerun_definition, description="nightly", execution_mode="Standard")
    assert result["changed"] is False and result["changes"] == []
    assert service.write_actions() == []
    assert "diff" not in result


def test_an_update_sends_only_the_field_that_differs(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.add_flow("etl", definition=DEFINITION_YAML, description="nightly", environment={"A": "1"})
    result = run(run_main, name="etl", definition=DEFINITION, description="nightly, now at 2am", environment={"A": "1"}, _ansible_diff=True)
    assert result["changed"] is True and result["changes"] == ["description"]
    assert service.write_actions() == ["UpdateFlow"]
    assert service.sent("UpdateFlow") == [{"Name": "etl", "Description": "nightly, now at 2am"}]
    # the UpdateFlow answer has no ExecutionMode: the result keeps the one read before
    assert result["flow"]["description"] == "nightly, now at 2am" and result["flow"]["execution_mode"] == "Standard"
    assert "description: nightly\n" in result["diff"]["before"]
    assert "description: nightly, now at 2am\n" in result["diff"]["after"]


def test_a_definition_change_shows_in_the_diff_as_readable_yaml(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.add_flow("etl", definition=json.dumps(DEFINITION), description="nightly")
    changed = dict(DEFINITION, steps=[{"type": "pass", "name": "two"}])
    result = run(run_main, name="etl", definition=changed, _ansible_diff=True)
    assert result["changes"] == ["definition"]
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert "definition: |\n" in before and "    name: one\n" in before
    assert "definition: |\n" in after and "    name: two\n" in after
    assert "{" not in before.split("definition:")[1]
    assert yaml.safe_load(service.record("etl")["Definition"]) == changed


def test_check_mode_sends_no_write_and_reports_what_a_real_run_would(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.add_flow("etl", definition=DEFINITION_YAML, description="nightly")
    checked = run(run_main, name="etl", definition=DEFINITION, description="changed", environment={"B": "2"}, _ansible_check_mode=True)
    assert service.write_actions() == []
    assert service.record("etl")["Description"] == "nightly"
    real = run(run_main, name="etl", definition=DEFINITION, description="changed", environment={"B": "2"})
    assert checked["changed"] is real["changed"] is True
    assert checked["changes"] == real["changes"] == ["description", "environment"]
    for field in ("description", "environment", "definition", "execution_mode", "name", "id"):
        assert checked["flow"][field] == real["flow"][field]


def test_check_mode_create_sends_no_write(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    result = run(run_main, name="etl", definition=DEFINITION_YAML, description="d", _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and service.write_actions() == []
    assert result["flow"]["definition"] == DEFINITION_YAML and result["flow"]["id"] is None
    assert result["diff"]["before"] == "" and "name: etl" in result["diff"]["after"]


def test_an_execution_mode_change_fails_before_any_write(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.add_flow("etl", execution_mode="")
    result = run(run_main, name="etl", execution_mode="Express", description="other")
    assert result["failed"] is True
    assert result["msg"].startswith("execution_mode: ")
    assert "deleted" in result["msg"] and "created again" in result["msg"]
    # the service deletes asynchronously: only a waiting deletion makes the next create safe
    assert "state: absent" in result["msg"] and "wait: true" in result["msg"]
    assert service.write_actions() == []


@pytest.mark.parametrize("args, message", [
    ({"definition": DEFINITION}, "description: is required to create"),
    ({"description": "d"}, "definition: is required to create"),
])
def test_create_without_definition_or_description_fails_without_a_write(
    service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]], args: dict[str, t.Any], message: str
) -> None:
    result = run(run_main, name="etl", **args)
    assert result["failed"] is True and result["msg"].startswith(message)
    assert service.write_actions() == []


@pytest.mark.parametrize("args, message", [
    ({"name": "9etl", "definition": DEFINITION}, "name: must be 1-128 characters"),
    ({"name": "etl", "definition": "steps: [", "description": "d"}, "definition: is not valid YAML or JSON"),
    ({"name": "etl", "definition": "[1]", "description": "d"}, "definition: must hold a mapping"),
    ({"name": "etl", "definition": {"Name": "other", "Type": "StateMachine"}, "description": "d"}, "definition: names the flow 'other'"),
    ({"name": "etl", "environment": {"A": True}}, "environment: the value of 'A'"),
    ({"name": "etl", "force": True}, "force: is only valid with state=absent"),
    ({"name": "etl", "wait": True}, "wait: is only valid with state=absent"),
    ({"name": "etl", "type": ""}, "type: must not be empty"),
    ({"name": "etl", "state": "absent", "wait_timeout": 0}, "wait_timeout: must be greater than zero"),
])
def test_bad_input_fails_before_any_request(
    service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]], args: dict[str, t.Any], message: str
) -> None:
    result = run(run_main, **args)
    assert result["failed"] is True
    assert result["msg"].startswith(message), result["msg"]
    assert service.calls == []


def test_an_update_the_service_did_not_apply_fails(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.add_flow("etl", role_arn="acs:ram::1:role/r")
    original = service._UpdateFlow

    def ignore_empty_role(params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        return original({key: value for key, value in params.items() if value != ""})

    service._UpdateFlow = ignore_empty_role  # type: ignore[method-assign]
    result = run(run_main, name="etl", role_arn="")
    assert result["failed"] is True and result["changed"] is True
    assert "does not show the new value of role_arn" in result["msg"]


def test_service_errors_carry_code_message_and_request_id(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.add_flow("etl")
    service.inject("UpdateFlow", ApiError("UpdateFlow", 409, "ConcurrentUpdateError", "Update conflict, please retry.", "req-77", attempts=7))
    result = run(run_main, name="etl", description="new")
    assert result["failed"] is True
    assert result["msg"].startswith("Flow 'etl': UpdateFlow failed: ConcurrentUpdateError (HTTP 409)")
    assert "req-77" in result["msg"]
    assert result["error"]["code"] == "ConcurrentUpdateError" and result["error"]["request_id"] == "req-77"
    assert "unit-secret" not in json.dumps(result)


# ---------------------------------------------------------------------------------------------
# state=absent


def busy(service: FakeCloudFlow) -> None:
    service.add_execution("etl", "run-1", "Running")
    service.add_execution("etl", "run-2", "Starting")
    service.add_schedule("etl", "nightly")


def test_absent_on_a_missing_flow_is_no_change(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    result = run(run_main, name="etl", state="absent", force=True, wait=True)
    assert result["changed"] is False and result["flow"] is None
    assert service.actions() == ["DescribeFlow"]


def test_absent_refuses_a_busy_flow_listing_its_executions(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    busy(service)
    result = run(run_main, name="etl", state="absent")
    assert result["failed"] is True and result["changed"] is False
    assert "2 execution(s) in progress: run-1 (Running), run-2 (Starting)" in result["msg"]
    assert "force=true" in result["msg"]
    assert [entry["name"] for entry in result["executions"]] == ["run-1", "run-2"]
    assert service.write_actions() == []


def test_absent_with_force_and_wait_stops_deletes_schedules_and_waits(
    monkeypatch: pytest.MonkeyPatch, service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]
) -> None:
    busy(service)
    service.delete_reads = 2
    monkeypatch.setattr(_flows, "DELETE_POLL_INTERVAL", 0.0)  # the module polls with the real clock
    result = run(run_main, name="etl", state="absent", force=True, wait=True, _ansible_diff=True)
    assert result["changed"] is True and not result.get("failed")
    assert service.write_actions() == ["StopExecution", "StopExecution", "DeleteSchedule", "DeleteFlow"]
    assert all(entry["changed"] and entry["status_after"] == "Stopped" for entry in result["executions"])
    assert result["deleted_schedules"] == ["nightly"]
    assert result["flow"]["name"] == "etl"
    assert service.actions()[-1] == "DescribeFlow" and "etl" not in service.flows
    assert result["diff"]["after"] == "" and "name: etl" in result["diff"]["before"]
    assert "force=true" in service.sent("StopExecution")[0]["Cause"]


def test_absent_check_mode_writes_nothing_and_says_what_it_would_do(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    busy(service)
    result = run(run_main, name="etl", state="absent", force=True, _ansible_check_mode=True)
    assert result["changed"] is True
    assert service.write_actions() == []
    assert [entry["name"] for entry in result["executions"]] == ["run-1", "run-2"]
    assert result["deleted_schedules"] == ["nightly"]


def test_absent_of_an_idle_flow_deletes_its_schedules_and_the_flow(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.add_schedule("etl", "a")
    service.add_schedule("etl", "b")
    result = run(run_main, name="etl", state="absent")
    assert result["changed"] is True and result["deleted_schedules"] == ["a", "b"]
    assert service.write_actions() == ["DeleteSchedule", "DeleteSchedule", "DeleteFlow"]


def test_a_failed_deletion_after_stops_reports_the_changes(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    busy(service)
    service.inject("DeleteFlow", ApiError("DeleteFlow", 412, "PreconditionFailed", "The resource to be modified has been changed.", "req-412"))
    result = run(run_main, name="etl", state="absent", force=True)
    assert result["failed"] is True and result["changed"] is True
    assert result["deleted_schedules"] == ["nightly"]
    assert result["error"]["code"] == "PreconditionFailed" and "req-412" in result["msg"]


# ---------------------------------------------------------------------------------------------
# review of issue 10


def test_type_is_left_alone_when_not_given(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.add_flow("etl", definition=DEFINITION_YAML, description="nightly")["Type"] = "DEFAULT"
    result = run(run_main, name="etl", definition=DEFINITION, description="nightly")
    assert result["changed"] is False and result["changes"] == [] and service.write_actions() == []
    given = run(run_main, name="etl", type="FDL")
    assert given["changes"] == ["type"] and service.sent("UpdateFlow") == [{"Name": "etl", "Type": "FDL"}]


def test_create_without_type_sends_fdl_and_reports_it(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    result = run(run_main, name="etl", definition=DEFINITION, description="nightly")
    assert service.sent("CreateFlow")[0]["Type"] == "FDL"
    assert result["changes"] == ["definition", "description", "type"]
    assert result["flow"]["type"] == "FDL"


def test_transport_failures_name_the_flow(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.inject("DescribeFlow", TransportError("DescribeFlow", 7, "connection refused", endpoint="http://127.0.0.1:9"))
    result = run(run_main, name="etl", description="d")
    assert result["failed"] is True
    assert result["msg"].startswith("Flow 'etl': DescribeFlow failed: could not reach http://127.0.0.1:9"), result["msg"]


def test_transport_failure_during_removal_names_the_flow_and_reports_what_was_done(
    service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]
) -> None:
    busy(service)
    service.inject("DeleteFlow", TransportError("DeleteFlow", 7, "connection reset", endpoint="http://127.0.0.1:9"))
    result = run(run_main, name="etl", state="absent", force=True)
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"].startswith("Flow 'etl': DeleteFlow failed"), result["msg"]
    assert result["deleted_schedules"] == ["nightly"]


@pytest.mark.parametrize("vanishing_at", ["ListExecutions", "ListSchedules"])
@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("check_mode", [False, True])
def test_a_flow_that_vanishes_during_removal_is_already_absent(
    service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]], vanishing_at: str, force: bool, check_mode: bool
) -> None:
    service.add_flow("etl")
    service.inject(vanishing_at, ApiError(vanishing_at, 404, "FlowNotExists", "Flow etl does not exist.", "req-404"))
    result = run(run_main, name="etl", state="absent", force=force, _ansible_check_mode=check_mode)
    assert not result.get("failed"), result
    assert result["changed"] is False and result["flow"] is None
    assert result["executions"] == [] and result["deleted_schedules"] == []
    assert service.write_actions() == []


def test_environment_keeps_the_service_descriptions_of_the_variables_it_keeps(
    service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]
) -> None:
    flow = service.add_flow("etl", environment={"A": "1", "B": "2"})
    flow["Environment"]["Variables"][0]["Description"] = "the A setting"
    result = run(run_main, name="etl", environment={"A": "10", "C": "3"})
    assert result["changes"] == ["environment"]
    sent = json.loads(service.sent("UpdateFlow")[0]["Environment"])
    assert sent == {"Variables": [{"Name": "A", "Value": "10", "Description": "the A setting"}, {"Name": "C", "Value": "3"}]}
    assert result["flow"]["environment"] == {"A": "10", "C": "3"}
