# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError
from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_flow_version
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"
DEFINITION = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: one\n"


@pytest.fixture(autouse=True)
def flow(service: FakeCloudFlow) -> None:
    service.add_flow(FLOW, definition=DEFINITION, environment={"A": "1"})


def run(run_main: t.Callable[..., dict[str, t.Any]], **args: t.Any) -> dict[str, t.Any]:
    return run_main(cloudflow_flow_version.main, dict({"flow_name": FLOW}, **args))


def publish(service: FakeCloudFlow, count: int) -> None:
    for _number in range(count):
        service.publish(FLOW)


@pytest.mark.parametrize("given, option, rule", [
    ({"flow_name": "1flow"}, "flow_name", "starting with a letter"),
    ({"version": "2"}, "version", "only valid with state=absent"),
    ({"keep": 3}, "keep", "only valid with state=absent"),
    ({"state": "absent", "version": "01"}, "version", "version number"),
    ({"state": "absent", "version": "latest"}, "version", "version number"),
    ({"state": "absent", "version": 0}, "version", "version number"),
    ({"state": "absent", "keep": 0}, "keep", "at least 1"),
    ({"state": "absent", "keep": -2}, "keep", "at least 1"),
    ({"state": "absent", "keep": 2, "description": "x"}, "description", "only valid with state=present"),
    ({"state": "absent"}, "version, keep", "missing"),
    ({"state": "absent", "version": 1, "keep": 2}, "version|keep", "mutually exclusive"),
    ({"keep": "many", "state": "absent"}, "keep", "int"),
])
def test_bad_input_fails_naming_the_option_before_any_request(run_main, service, given: dict[str, t.Any], option: str, rule: str) -> None:
    result = run(run_main, **given)
    assert result["failed"], result
    assert option in result["msg"] and rule in result["msg"], result["msg"]
    assert service.calls == []


# -- present -----------------------------------------------------------------------------------------------------------

def test_publish_twice_with_no_change_is_one_version(run_main, service) -> None:
    first = run(run_main, description="release 1")
    assert first["changed"] is True and not first.get("failed"), first
    assert first["version"] == "1"
    assert first["changes"] == ["definition", "description", "environment", "role_arn"]
    assert service.sent("PublishFlowVersion") == [{"FlowName": FLOW, "Description": "release 1"}]
    second = run(run_main, description="release 2")
    assert second["changed"] is False and second["version"] == "1" and second["changes"] == []
    assert service.versions(FLOW) == ["1"]
    assert service.write_actions() == ["PublishFlowVersion"]
    # three reads a run once a version exists: the flow, the versions, the newest version's content
    assert service.actions()[-3:] == ["DescribeFlow", "ListFlowVersions", "DescribeFlow"]
    assert service.sent("DescribeFlow")[-1] == {"Name": FLOW, "FlowVersion": "1"}


@pytest.mark.parametrize("field, value, change", [
    ("Definition", DEFINITION.replace("one", "two"), "definition"),
    ("Description", "another description", "description"),
    ("Environment", {"Variables": [{"Name": "A", "Value": "2"}]}, "environment"),
    ("RoleArn", "acs:ram::1:role/run", "role_arn"),
])
def test_a_change_of_any_content_field_publishes_a_new_version(run_main, service, field: str, value: t.Any, change: str) -> None:
    publish(service, 2)
    service.record(FLOW)[field] = value
    result = run(run_main)
    assert result["changed"] is True and result["version"] == "3" and result["changes"] == [change]
    assert "differed from version 2 in {0}".format(change) in result["msg"]
    assert service.versions(FLOW) == ["1", "2", "3"]
    assert run(run_main)["changed"] is False


def test_the_definition_rewritten_in_another_form_is_no_change(run_main, service) -> None:
    publish(service, 1)
    service.record(FLOW)["Definition"] = '{"steps": [{"name": "one", "type": "pass"}], "type": "flow", "version": "v1"}'
    result = run(run_main)
    assert result["changed"] is False and result["version"] == "1"
    assert service.write_actions() == []


def test_the_newest_version_is_the_one_compared_with(run_main, service) -> None:
    publish(service, 1)
    service.record(FLOW)["Description"] = "changed"
    publish(service, 1)
    service.record(FLOW)["Description"] = "a flow"  # back to what version 1 holds: still differs from the newest
    result = run(run_main)
    assert result["changed"] is True and result["version"] == "3" and result["changes"] == ["description"]


def test_check_mode_publish_sends_no_write_and_has_no_number(run_main, service) -> None:
    publish(service, 1)
    service.record(FLOW)["Definition"] = DEFINITION.replace("one", "two")
    result = run(run_main, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and result["version"] is None and result["changes"] == ["definition"]
    assert result["diff"] == {"before": {"versions": ["1"]}, "after": {"versions": ["1", "(new)"]}}
    assert service.writes() == [] and service.versions(FLOW) == ["1"]
    real = run(run_main, _ansible_diff=True)
    assert real["changed"] is True and real["version"] == "2" and real["changes"] == result["changes"]
    assert real["diff"] == {"before": {"versions": ["1"]}, "after": {"versions": ["1", "2"]}}


def test_check_mode_with_no_change_reports_the_newest(run_main, service) -> None:
    publish(service, 1)
    result = run(run_main, _ansible_check_mode=True)
    assert result["changed"] is False and result["version"] == "1"


def test_a_missing_flow_fails_with_the_service_error_and_check_mode_warns(run_main, service) -> None:
    failed = run(run_main, flow_name="nope")
    assert failed["failed"] and failed["error"]["code"] == "FlowNotExists" and "Flow 'nope'" in failed["msg"]
    checked = run(run_main, flow_name="nope", _ansible_check_mode=True)
    assert checked["changed"] is True and checked["version"] is None and "does not exist yet" in checked["warnings"][0]
    assert service.writes() == []


# -- absent, one version -----------------------------------------------------------------------------------------------

def test_delete_a_version_then_again_is_no_change(run_main, service) -> None:
    publish(service, 2)
    result = run(run_main, state="absent", version=1, _ansible_diff=True)
    assert result["changed"] is True and result["deleted"] == ["1"] and result["kept"] == {}
    assert result["diff"] == {"before": {"versions": ["1", "2"]}, "after": {"versions": ["2"]}}
    assert service.sent("DeleteFlowVersion") == [{"FlowName": FLOW, "FlowVersion": "1"}]
    again = run(run_main, state="absent", version="1")
    assert again["changed"] is False and again["deleted"] == []
    assert service.write_actions() == ["DeleteFlowVersion"]


@pytest.mark.parametrize("weight", [100, 0])
def test_deleting_a_routed_version_is_refused_naming_the_alias_with_zero_writes(run_main, service, weight: int) -> None:
    publish(service, 2)
    service.add_alias(FLOW, "prod", {"1": weight, "2": 100 - weight})
    result = run(run_main, state="absent", version="1")
    assert result["failed"] and result["changed"] is False
    assert "alias prod routes to it" in result["msg"] and "Nothing was changed" in result["msg"]
    assert result["kept"] == {"1": "alias prod routes to it"} and result["deleted"] == []
    assert service.writes() == [] and service.versions(FLOW) == ["1", "2"]
    assert "ListExecutions" not in service.actions()


def test_deleting_a_version_with_executions_in_progress_is_refused_naming_them(run_main, service) -> None:
    publish(service, 2)
    service.add_execution(FLOW, "run-1", "Running", qualifier="1")
    service.add_execution(FLOW, "run-2", "Starting", qualifier="prod", flow_version="1")
    service.add_execution(FLOW, "run-0", "Succeeded", qualifier="1")
    result = run(run_main, state="absent", version="1", _ansible_check_mode=True)
    assert result["failed"] and "2 executions in progress: run-1, run-2" in result["msg"]
    assert result["kept"] == {"1": "2 executions in progress: run-1, run-2"}
    assert service.writes() == []
    assert {params.get("Qualifier") for params in service.sent("ListExecutions")} == {"1"}
    real = run(run_main, state="absent", version="1")
    assert real["failed"] and "stop them" in real["msg"]
    assert service.writes() == []


def test_delete_in_check_mode_sends_no_write(run_main, service) -> None:
    publish(service, 2)
    result = run(run_main, state="absent", version="2", _ansible_check_mode=True)
    assert result["changed"] is True and result["deleted"] == ["2"]
    assert service.writes() == [] and service.versions(FLOW) == ["1", "2"]


def test_delete_of_a_missing_flow_or_version_is_no_change(run_main, service) -> None:
    assert run(run_main, flow_name="nope", state="absent", version="1")["changed"] is False
    assert run(run_main, state="absent", version="7")["changed"] is False
    assert run(run_main, flow_name="nope", state="absent", keep=1)["changed"] is False
    assert service.writes() == []


def test_a_version_deleted_elsewhere_meanwhile_is_no_change(run_main, service) -> None:
    publish(service, 2)
    service.meanwhile("DeleteFlowVersion", lambda: service.flows[FLOW]["versions"].pop("1"))
    result = run(run_main, state="absent", version="1")
    assert result["changed"] is False and result["deleted"] == [] and not result.get("failed")


# -- absent, pruning ---------------------------------------------------------------------------------------------------

def test_prune_keeps_the_newest_n_and_the_versions_in_use_with_reasons(run_main, service) -> None:
    publish(service, 6)
    service.add_alias(FLOW, "prod", {"2": 100})
    service.add_alias(FLOW, "canary", {"5": 90, "6": 10})
    service.add_execution(FLOW, "run-4", "Running", qualifier="4")
    checked = run(run_main, state="absent", keep=2, _ansible_check_mode=True, _ansible_diff=True)
    assert checked["changed"] is True and checked["deleted"] == ["1", "3"]
    assert checked["kept"] == {"2": "alias prod routes to it", "4": "1 execution in progress: run-4"}
    assert checked["diff"] == {"before": {"versions": ["1", "2", "3", "4", "5", "6"]}, "after": {"versions": ["2", "4", "5", "6"]}}
    assert service.writes() == []
    # executions are asked for only of the old versions no alias routes to
    assert sorted({params["Qualifier"] for params in service.sent("ListExecutions")}) == ["1", "3", "4"]
    pruned = run(run_main, state="absent", keep=2, _ansible_diff=True)
    assert {key: pruned[key] for key in ("changed", "deleted", "kept", "diff")} == {key: checked[key] for key in ("changed", "deleted", "kept", "diff")}
    assert "kept version 2 (alias prod routes to it)" in pruned["msg"]
    assert service.versions(FLOW) == ["2", "4", "5", "6"]
    assert [params["FlowVersion"] for params in service.sent("DeleteFlowVersion")] == ["1", "3"]
    again = run(run_main, state="absent", keep=2)
    assert again["changed"] is False and again["deleted"] == [] and again["kept"] == checked["kept"]
    assert len(service.writes()) == 2


def test_prune_with_no_more_than_keep_reads_only_the_versions(run_main, service) -> None:
    publish(service, 3)
    result = run(run_main, state="absent", keep=3)
    assert result["changed"] is False and result["deleted"] == [] and result["kept"] == {}
    assert service.actions() == ["ListFlowVersions"]


def test_prune_that_fails_part_way_reports_what_it_deleted(run_main, service) -> None:
    publish(service, 4)
    # Just before the first delete (of version 1), another client routes an alias to version 2, whose delete then fails.
    service.meanwhile("DeleteFlowVersion", lambda: service.add_alias(FLOW, "late", {"2": 100}))
    result = run(run_main, state="absent", keep=1)
    assert result["failed"]
    assert result["error"]["code"] == "FlowVersionInUse"
    assert result["deleted"] == ["1"] and result["changed"] is True
    assert "deleting version 2 failed after deleting version(s) 1" in result["msg"]
    assert service.versions(FLOW) == ["2", "3", "4"]


def test_transport_and_service_errors_name_the_flow(run_main, service) -> None:
    publish(service, 1)
    service.inject("ListFlowVersions", ApiError("ListFlowVersions", 500, "InternalError", "boom", "req-500"))
    result = run(run_main)
    assert result["failed"] and result["msg"].startswith("Flow 'flow': ListFlowVersions failed") and result["error"]["code"] == "InternalError"
