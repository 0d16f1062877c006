# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Definition and environment comparison, the flow shape, and the flow API helpers of _flows."""

from __future__ import annotations

import json
import typing as t

import pytest
import yaml

from ansible_collections.seed.cloudflow.plugins.module_utils import _flows
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, ConfigurationError, DeleteWaitTimeout, FlowBusy, FlowRemovalError
from ansible_collections.seed.cloudflow.plugins.module_utils._flows import (
    FlowSpec,
    create_flow,
    definition_text,
    delete_flow,
    diff_text,
    environment_from_option,
    environment_from_service,
    environment_text,
    flow_result,
    list_flows,
    load_definition,
    readable_definition,
    remove_flow,
    same_definition,
    wait_until_deleted,
)
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeClock, FakeCloudFlow

LEGACY_YAML = """\
version: v1
type: flow
steps:
  - type: task
    name: extract
    resourceArn: acs:fc:cn-hangzhou:123:services/etl/functions/extract
    retry:
      - errors: [FC.ResourceThrottled]
        intervalSeconds: 2
        maxAttempts: 3
  - type: pass
    name: done
"""

LEGACY_DICT = {
    "steps": [
        {"name": "extract", "type": "task", "resourceArn": "acs:fc:cn-hangzhou:123:services/etl/functions/extract",
         "retry": [{"maxAttempts": 3, "intervalSeconds": 2, "errors": ["FC.ResourceThrottled"]}]},
        {"type": "pass", "name": "done"},
    ],
    "type": "flow",
    "version": "v1",
}

STATE_MACHINE_YAML = """\
Type: StateMachine
SpecVersion: v1
Name: orders
StartAt: Check
States:
  - Type: Pass
    Name: Check
    End: true
"""


# ---------------------------------------------------------------------------------------------
# definitions: the same document in any form is equal; any change of meaning is not


@pytest.mark.parametrize("form", [
    pytest.param(LEGACY_DICT, id="dict"),
    pytest.param(LEGACY_YAML, id="same-text"),
    pytest.param(json.dumps(LEGACY_DICT), id="json"),
    pytest.param(json.dumps(LEGACY_DICT, indent=4, sort_keys=True), id="json-indented-sorted"),
    pytest.param(yaml.safe_dump(LEGACY_DICT, default_flow_style=True), id="yaml-flow-style"),
    pytest.param("# deployed by the pipeline\n" + LEGACY_YAML.replace("  - type", "-   type").replace("    name", "    name"), id="comment"),
    pytest.param(yaml.safe_dump(LEGACY_DICT, sort_keys=True, indent=4), id="yaml-other-indent-and-order"),
    pytest.param(LEGACY_YAML + "\n\n\n", id="trailing-blank-lines"),
    pytest.param("---\n" + LEGACY_YAML + "...\n", id="document-markers"),
])
def test_same_document_in_another_form_is_the_same_definition(form: t.Any) -> None:
    assert same_definition(LEGACY_YAML, load_definition("definition", form))


def test_reordered_steps_quoted_numbers_and_changed_values_are_different() -> None:
    reordered = dict(LEGACY_DICT, steps=list(reversed(LEGACY_DICT["steps"])))
    quoted = json.loads(json.dumps(LEGACY_DICT).replace('"maxAttempts": 3', '"maxAttempts": "3"'))
    renamed = json.loads(json.dumps(LEGACY_DICT).replace('"done"', '"finished"'))
    extra = dict(LEGACY_DICT, description="x")
    for document in (reordered, quoted, renamed, extra):
        assert not same_definition(LEGACY_YAML, document)


def test_a_service_definition_that_is_not_yaml_never_equals_a_document() -> None:
    assert not same_definition("steps: [", {"steps": "["})
    assert not same_definition("", {})
    assert not same_definition(None, {})


@pytest.mark.parametrize("value, detail", [
    ("steps: [", "is not valid YAML or JSON"),
    ("[1, 2]", "the text holds list"),
    ("just text", "the text holds str"),
    ("", "the text is empty"),
    (42, "got int"),
    (["a"], "got list"),
])
def test_load_definition_rejects_what_is_not_a_mapping(value: t.Any, detail: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_definition("definition", value)
    assert raised.value.option == "definition"
    assert detail in str(raised.value)


def test_definition_text_keeps_a_string_and_dumps_a_dict_as_block_yaml() -> None:
    commented = "# owner: data team\n" + LEGACY_YAML
    assert definition_text(commented) == commented
    dumped = definition_text(LEGACY_DICT)
    assert "{" not in dumped and "steps:" in dumped
    assert yaml.safe_load(dumped) == LEGACY_DICT
    # the key order of the dict is kept, so the console shows it as written
    assert dumped.index("steps:") < dumped.index("type: flow") < dumped.index("version:")


def test_readable_definition_puts_both_sides_in_one_layout() -> None:
    respaced = LEGACY_YAML.replace(": ", ":   ")
    assert respaced != LEGACY_YAML
    assert readable_definition(LEGACY_YAML) == readable_definition(respaced)
    assert readable_definition("not: [yaml") == "not: [yaml"
    assert readable_definition(None) == ""


def test_a_definition_naming_another_flow_fails_before_any_request() -> None:
    FlowSpec("orders", definition=STATE_MACHINE_YAML)
    with pytest.raises(ConfigurationError) as raised:
        FlowSpec("payments", definition=STATE_MACHINE_YAML)
    assert raised.value.option == "definition"
    assert "'orders'" in str(raised.value) and "'payments'" in str(raised.value)


# ---------------------------------------------------------------------------------------------
# environment


def test_environment_option_values_become_text_and_bad_values_fail() -> None:
    assert environment_from_option("environment", {"A": "x", "PORT": 8080, "RATIO": 0.5}) == {"A": "x", "PORT": "8080", "RATIO": "0.5"}
    assert environment_from_option("environment", None) is None
    assert environment_from_option("environment", {}) == {}
    for bad in ({"A": True}, {"A": None}, {"A": [1]}, {"": "x"}):
        with pytest.raises(ConfigurationError, match="^environment: "):
            environment_from_option("environment", bad)


def test_environment_from_service_reads_the_object_and_its_json_text() -> None:
    document = {"Variables": [{"Name": "B", "Value": "2", "Description": "b"}, {"Name": "A", "Value": "1"}]}
    assert environment_from_service(document) == {"A": "1", "B": "2"}
    assert environment_from_service(json.dumps(document)) == {"A": "1", "B": "2"}
    for empty in (None, "", "not json", {}, {"Variables": None}, []):
        assert environment_from_service(empty) == {}


def test_environment_text_is_the_api_form_sorted_by_name() -> None:
    assert json.loads(environment_text({"B": "2", "A": "1"})) == {"Variables": [{"Name": "A", "Value": "1"}, {"Name": "B", "Value": "2"}]}
    assert environment_text({}) == '{"Variables":[]}'


# ---------------------------------------------------------------------------------------------
# the flow shape and the spec


def service_flow(**fields: t.Any) -> dict[str, t.Any]:
    flow = {
        "Name": "etl", "Id": "id-1", "Definition": LEGACY_YAML, "Description": "nightly", "Type": "FDL", "RoleArn": "",
        "ExecutionMode": "", "Environment": {"Variables": [{"Name": "A", "Value": "1"}]},
        "CreatedTime": "2024-05-01T00:00:00.000Z", "LastModifiedTime": "2024-05-01T00:00:00.000Z",
    }
    flow.update(fields)
    return flow


def test_flow_result_is_snake_case_with_standard_for_an_empty_mode() -> None:
    assert flow_result(service_flow()) == {
        "name": "etl", "id": "id-1", "definition": LEGACY_YAML, "description": "nightly", "type": "FDL", "role_arn": None,
        "execution_mode": "Standard", "environment": {"A": "1"}, "created_time": "2024-05-01T00:00:00.000Z",
        "last_modified_time": "2024-05-01T00:00:00.000Z",
    }
    assert flow_result(service_flow(ExecutionMode="Express"))["execution_mode"] == "Express"


def test_nothing_differs_when_the_same_settings_come_in_other_forms() -> None:
    spec = FlowSpec("etl", definition=json.dumps(LEGACY_DICT), description="nightly", type_="FDL", role_arn="",
                    execution_mode="Standard", environment={"A": 1})
    spec.check_immutable(service_flow())
    assert spec.changed_options(service_flow()) == []


def test_only_the_differing_fields_are_sent() -> None:
    spec = FlowSpec("etl", definition=LEGACY_DICT, description="nightly run", environment={"A": "1", "B": "2"})
    changed = spec.changed_options(service_flow())
    assert changed == ["description", "environment"]
    assert spec.update_params(changed) == {
        "Name": "etl", "Description": "nightly run", "Environment": '{"Variables":[{"Name":"A","Value":"1"},{"Name":"B","Value":"2"}]}',
    }


def test_omitted_options_are_left_as_they_are() -> None:
    assert FlowSpec("etl").changed_options(service_flow(RoleArn="acs:ram::1:role/r", Description="anything")) == []


@pytest.mark.parametrize("mode, current", [("Express", ""), ("Express", "Standard"), ("Standard", "Express")])
def test_an_execution_mode_change_is_refused_naming_the_option_and_the_remedy(mode: str, current: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        FlowSpec("etl", execution_mode=mode).check_immutable(service_flow(ExecutionMode=current))
    assert raised.value.option == "execution_mode"
    assert "deleted" in str(raised.value) and "created again" in str(raised.value)


def test_an_unknown_execution_mode_fails() -> None:
    with pytest.raises(ConfigurationError, match="^execution_mode: must be one of Standard, Express"):
        FlowSpec("etl", execution_mode="Fast")


def test_create_requires_a_definition_and_a_description() -> None:
    with pytest.raises(ConfigurationError, match="^definition: is required to create"):
        FlowSpec("etl", description="x").create_params()
    with pytest.raises(ConfigurationError, match="^description: is required to create.*CreateFlow API requires"):
        FlowSpec("etl", definition=LEGACY_DICT).create_params()
    params = FlowSpec("etl", definition=LEGACY_YAML, description="").create_params()
    assert params["Description"] == "" and params["Type"] == "FDL" and params["ExecutionMode"] is None


def test_predicted_record_is_what_a_real_run_leaves() -> None:
    spec = FlowSpec("etl", definition=LEGACY_DICT, description="new", environment={"B": "2"})
    changed = spec.changed_options(service_flow())
    predicted = flow_result(spec.predicted(service_flow(), changed))
    assert predicted["description"] == "new" and predicted["environment"] == {"B": "2"}
    assert predicted["definition"] == LEGACY_YAML  # unchanged: not sent
    created = flow_result(FlowSpec("etl", definition=LEGACY_DICT, description="d").predicted(None, []))
    assert created["id"] is None and created["execution_mode"] == "Standard" and created["environment"] == {}


def test_unapplied_names_the_fields_the_answer_does_not_show() -> None:
    spec = FlowSpec("etl", description="new", role_arn="")
    changed = spec.changed_options(service_flow(RoleArn="acs:ram::1:role/r"))
    assert changed == ["description", "role_arn"]
    answer = service_flow(RoleArn="acs:ram::1:role/r", Description="new")
    assert spec.unapplied(answer, changed) == ["role_arn"]
    del answer["RoleArn"]
    assert spec.unapplied(answer, changed) == []


def test_diff_text_is_yaml_with_the_definition_as_a_literal_block() -> None:
    text = diff_text(service_flow(Definition=json.dumps(LEGACY_DICT)))
    assert "definition: |\n" in text
    assert "  steps:\n" in text
    shown = yaml.safe_load(text)
    assert yaml.safe_load(shown["definition"]) == LEGACY_DICT
    assert shown["execution_mode"] == "Standard" and shown["environment"] == {"A": "1"}
    assert "id" not in shown and "created_time" not in shown
    assert diff_text(None) == ""


# ---------------------------------------------------------------------------------------------
# API helpers


def test_list_flows_follows_next_token_and_filters_by_prefix() -> None:
    service = FakeCloudFlow(page_size=3)
    for index in range(8):
        service.add_flow("etl-{0}".format(index))
    service.add_flow("report")
    assert [flow["Name"] for flow in list_flows(service)] == ["etl-{0}".format(index) for index in range(8)] + ["report"]
    assert service.actions().count("ListFlows") == 3
    assert service.sent("ListFlows")[0]["Limit"] == _flows.LIST_FLOWS_PAGE_SIZE
    assert [flow["Name"] for flow in list_flows(service, "rep")] == ["report"]


def test_list_flows_stops_when_the_service_repeats_a_token() -> None:
    service = FakeCloudFlow(page_size=1, stuck_token="etl-9", call_limit=5)
    service.add_flow("a")
    service.add_flow("b")
    assert [flow["Name"] for flow in list_flows(service)] == ["a", "a"]  # type: ignore[arg-type]
    assert [params.get("NextToken") for params in service.sent("ListFlows")] == [None, "etl-9"]


def test_create_flow_on_a_retried_already_exists_reads_the_flow_back() -> None:
    service = FakeCloudFlow()
    service.add_flow("etl")
    service.inject("CreateFlow", ApiError("CreateFlow", 409, "FlowAlreadyExists", "exists", "req", attempts=2))
    assert create_flow(service, {"Name": "etl"})["Id"] == "flow-id-1"
    service.inject("CreateFlow", ApiError("CreateFlow", 409, "FlowAlreadyExists", "exists", "req", attempts=1))
    with pytest.raises(ApiError, match="FlowAlreadyExists"):
        create_flow(service, {"Name": "etl"})


def test_delete_flow_reports_whether_this_request_deleted_it() -> None:
    service = FakeCloudFlow()
    service.add_flow("etl")
    assert delete_flow(service, "etl") is True
    assert delete_flow(service, "etl") is False
    service.inject("DeleteFlow", ApiError("DeleteFlow", 404, "FlowNotExists", "gone", "req", attempts=3))
    assert delete_flow(service, "etl") is True


def test_wait_until_deleted_polls_until_flow_not_exists() -> None:
    service = FakeCloudFlow(delete_reads=3)
    service.add_flow("etl")
    delete_flow(service, "etl")
    clock = FakeClock()
    wait_until_deleted(service, "etl", 30, clock=clock, sleep=clock.sleep)
    # three reads still find the flow, the fourth answers FlowNotExists
    assert service.actions().count("DescribeFlow") == 4
    assert clock.sleeps == [1.0] * 3


def test_wait_until_deleted_times_out() -> None:
    service = FakeCloudFlow(delete_reads=100)
    service.add_flow("etl")
    delete_flow(service, "etl")
    clock = FakeClock()
    with pytest.raises(DeleteWaitTimeout, match="Timed out after 2.5 seconds waiting for flow 'etl' to be deleted"):
        wait_until_deleted(service, "etl", 2.5, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [1.0, 1.0, 0.5]


# ---------------------------------------------------------------------------------------------
# removal


def busy_service() -> FakeCloudFlow:
    service = FakeCloudFlow()
    service.add_execution("etl", "run-1", "Running")
    service.add_execution("etl", "run-2", "Starting")
    service.add_execution("etl", "old", "Succeeded")
    service.add_schedule("etl", "nightly")
    service.add_schedule("etl", "hourly")
    return service


def test_removal_without_force_refuses_busy_flows_listing_them_and_writing_nothing() -> None:
    service = busy_service()
    with pytest.raises(FlowBusy) as raised:
        remove_flow(service, service.record("etl"))
    assert "2 execution(s) in progress" in str(raised.value)
    assert "run-1 (Running)" in str(raised.value) and "run-2 (Starting)" in str(raised.value)
    assert sorted(entry["name"] for entry in raised.value.executions) == ["run-1", "run-2"]
    # The shape of a forced removal's entries, with nothing done to any of them; the module fails with them.
    assert all(entry["changed"] is False and entry["status_after"] == entry["status_before"] and entry["error"] is None
               for entry in raised.value.executions)
    assert raised.value.result == {"changed": False, "executions": raised.value.executions, "deleted_schedules": []}
    assert service.writes() == []


def test_forced_removal_stops_then_deletes_schedules_then_the_flow() -> None:
    service = busy_service()
    removal = remove_flow(service, service.record("etl"), force=True, cause="bye")
    assert service.write_actions() == ["StopExecution", "StopExecution", "DeleteSchedule", "DeleteSchedule", "DeleteFlow"]
    assert {params["Cause"] for params in service.sent("StopExecution")} == {"bye"}
    assert removal.deleted_schedules == ["nightly", "hourly"]
    assert removal.flow_deleted and removal.changed
    assert "etl" not in service.flows


def test_forced_removal_in_check_mode_only_reads_and_says_what_it_would_do() -> None:
    service = busy_service()
    removal = remove_flow(service, service.record("etl"), force=True, check_mode=True)
    assert service.writes() == []
    assert sorted(entry["name"] for entry in removal.executions) == ["run-1", "run-2"]
    assert removal.schedules == ["nightly", "hourly"] and removal.deleted_schedules == []


def test_a_failure_after_a_change_reports_what_was_done() -> None:
    service = busy_service()
    service.inject("DeleteFlow", ApiError("DeleteFlow", 409, "ConcurrentUpdateError", "Update conflict, please retry.", "req-9", attempts=7))
    with pytest.raises(FlowRemovalError) as raised:
        remove_flow(service, service.record("etl"), force=True)
    assert raised.value.removal.deleted_schedules == ["nightly", "hourly"]
    assert raised.value.removal.changed and not raised.value.removal.flow_deleted
    assert raised.value.error is not None and raised.value.error.code == "ConcurrentUpdateError"
    assert "DeleteFlow failed after earlier changes" in str(raised.value) and "req-9" in str(raised.value)


def test_a_first_step_failure_is_the_service_error_itself() -> None:
    service = FakeCloudFlow()
    service.add_flow("etl")
    service.inject("ListSchedules", ApiError("ListSchedules", 500, "InternalServerError", "boom", "req-5"))
    with pytest.raises(ApiError, match="InternalServerError"):
        remove_flow(service, service.record("etl"))
    assert service.writes() == []


def test_removal_wait_timeout_keeps_the_record_of_the_deletion() -> None:
    service = FakeCloudFlow(delete_reads=100)
    service.add_flow("etl")
    clock = FakeClock()
    with pytest.raises(FlowRemovalError) as raised:
        remove_flow(service, service.record("etl"), wait=True, wait_timeout=2, clock=clock, sleep=clock.sleep)
    assert raised.value.removal.flow_deleted and "Timed out after 2 seconds" in str(raised.value)
