# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError
from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_flow_alias
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"
CANARY = [{"version": "1", "weight": 90}, {"version": "2", "weight": 10}]


@pytest.fixture(autouse=True)
def flow(service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    for _number in range(3):
        service.publish(FLOW)


def run(run_main: t.Callable[..., dict[str, t.Any]], **args: t.Any) -> dict[str, t.Any]:
    return run_main(cloudflow_flow_alias.main, dict({"flow_name": FLOW, "name": "prod"}, **args))


@pytest.mark.parametrize("given, option, rule", [
    ({"flow_name": "1flow"}, "flow_name", "starting with a letter"),
    ({"name": "1prod"}, "name", "starting with a letter"),
    ({"routing": []}, "routing", "one or two"),
    ({"routing": CANARY + [{"version": 3, "weight": 0}]}, "routing", "one or two"),
    ({"routing": [{"version": "1", "weight": 90}]}, "routing", "add up to 100"),
    ({"routing": [{"version": "1", "weight": 50}, {"version": 1, "weight": 50}]}, "routing", "twice"),
    ({"routing": [{"version": "01", "weight": 100}]}, "routing[0].version", "version number"),
    ({"routing": [{"version": "1", "weight": 100.0}]}, "routing[0].weight", "whole number"),
    ({"routing": [{"version": "1", "weight": "ten"}, {"version": "2", "weight": 90}]}, "routing[0].weight", "whole number"),
    ({"routing": [{"version": "1", "weight": 101}]}, "routing[0].weight", "0 to 100"),
    ({"routing": [{"version": "1"}]}, "weight", "missing required arguments"),
    ({"routing": [{"version": "1", "weight": 100, "share": 1}]}, "share", "Unsupported parameters"),
    ({"state": "absent", "routing": [{"version": "1", "weight": 100}]}, "routing", "only valid with state=present"),
    ({"state": "absent", "description": "x"}, "description", "only valid with state=present"),
])
def test_bad_input_fails_naming_the_option_before_any_request(run_main, service, given: dict[str, t.Any], option: str, rule: str) -> None:
    result = run(run_main, **given)
    assert result["failed"], result
    assert option in result["msg"] and rule in result["msg"], result["msg"]
    assert service.calls == []


def test_create_then_rerun_with_string_weights_in_another_order_is_no_change(run_main, service) -> None:
    created = run(run_main, routing=CANARY, description="production", _ansible_diff=True)
    assert created["changed"] is True and not created.get("failed"), created
    assert created["changes"] == ["routing", "description"]
    assert service.writes() == [("CreateFlowAlias", {
        "FlowName": FLOW, "Name": "prod", "Description": "production",
        "RoutingConfigurations": [{"Version": "1", "Weight": 90}, {"Version": "2", "Weight": 10}],
    })]
    assert created["alias"]["routing"] == [{"version": "1", "weight": 90}, {"version": "2", "weight": 10}]
    assert created["alias"]["created_time"]
    assert created["diff"] == {"before": {}, "after": {"routing": created["alias"]["routing"], "description": "production"}}
    rerun = run(run_main, routing=[{"version": 2, "weight": "10"}, {"version": 1, "weight": "90"}], description="production")
    assert rerun["changed"] is False and rerun["changes"] == []
    assert rerun["alias"] == created["alias"]
    assert service.write_actions() == ["CreateFlowAlias"]


def test_a_description_change_sends_only_the_description(run_main, service) -> None:
    service.add_alias(FLOW, "prod", {"1": 90, "2": 10}, description="old")
    result = run(run_main, routing=list(reversed(CANARY)), description="new", _ansible_diff=True)
    assert result["changed"] is True and result["changes"] == ["description"]
    assert service.writes() == [("UpdateFlowAlias", {"FlowName": FLOW, "Name": "prod", "Description": "new"})]
    assert result["diff"]["before"]["description"] == "old" and result["diff"]["after"]["description"] == "new"
    assert result["diff"]["before"]["routing"] == result["diff"]["after"]["routing"]
    assert "ListFlowVersions" not in service.actions()


def test_a_routing_change_sends_only_the_routing_after_checking_the_versions(run_main, service) -> None:
    service.add_alias(FLOW, "prod", {"1": 90, "2": 10}, description="kept")
    result = run(run_main, routing=[{"version": 1, "weight": 50}, {"version": 3, "weight": 50}], description="kept")
    assert result["changed"] is True and result["changes"] == ["routing"]
    assert service.writes() == [("UpdateFlowAlias", {
        "FlowName": FLOW, "Name": "prod", "RoutingConfigurations": [{"Version": "1", "Weight": 50}, {"Version": "3", "Weight": 50}]})]
    assert result["alias"]["routing"] == [{"version": "1", "weight": 50}, {"version": "3", "weight": 50}]
    assert result["alias"]["description"] == "kept"
    assert service.actions() == ["DescribeFlowAlias", "ListFlowVersions", "UpdateFlowAlias"]


def test_omitted_description_and_routing_are_left_as_they_are(run_main, service) -> None:
    service.add_alias(FLOW, "prod", {"1": 100}, description="kept")
    assert run(run_main)["changed"] is False
    assert run(run_main, routing=[{"version": 1, "weight": 100}])["changed"] is False
    assert run(run_main, description="")["changes"] == ["description"]
    assert service.writes() == [("UpdateFlowAlias", {"FlowName": FLOW, "Name": "prod", "Description": ""})]


def test_check_mode_reports_what_would_change_with_zero_writes(run_main, service) -> None:
    create = run(run_main, routing=CANARY, _ansible_check_mode=True, _ansible_diff=True)
    assert create["changed"] is True and create["changes"] == ["routing"] and create["alias"]["created_time"] is None
    assert create["diff"]["after"] == {"routing": [{"version": "1", "weight": 90}, {"version": "2", "weight": 10}], "description": ""}
    service.add_alias(FLOW, "prod", {"1": 90, "2": 10})
    update = run(run_main, routing=[{"version": 3, "weight": 100}], description="x", _ansible_check_mode=True, _ansible_diff=True)
    assert update["changed"] is True and update["changes"] == ["routing", "description"]
    assert update["alias"]["routing"] == [{"version": "3", "weight": 100}]
    delete = run(run_main, state="absent", _ansible_check_mode=True, _ansible_diff=True)
    assert delete["changed"] is True and delete["alias"] is None and delete["diff"]["after"] == {}
    assert service.writes() == []
    real = run(run_main, routing=[{"version": 3, "weight": 100}], description="x", _ansible_diff=True)
    assert {key: real[key] for key in ("changed", "changes", "diff")} == {key: update[key] for key in ("changed", "changes", "diff")}


def test_a_version_the_flow_does_not_have_fails_before_any_write(run_main, service) -> None:
    result = run(run_main, routing=[{"version": 1, "weight": 50}, {"version": 9, "weight": 50}])
    assert result["failed"] and result["msg"].startswith("routing: flow 'flow' has no version 9 (its versions: 1, 2, 3)")
    assert service.writes() == []


def test_create_needs_a_routing(run_main, service) -> None:
    result = run(run_main, description="only")
    assert result["failed"] and result["msg"].startswith("routing: is required to create alias 'prod'")
    assert service.writes() == []


def test_absent_deletes_then_is_no_change(run_main, service) -> None:
    service.add_alias(FLOW, "prod", {"1": 100})
    deleted = run(run_main, state="absent")
    assert deleted["changed"] is True and deleted["alias"] is None
    assert service.writes() == [("DeleteFlowAlias", {"FlowName": FLOW, "Name": "prod"})]
    assert run(run_main, state="absent")["changed"] is False
    assert run(run_main, flow_name="nope", state="absent")["changed"] is False
    assert len(service.writes()) == 1


def test_created_elsewhere_meanwhile_is_converged(run_main, service) -> None:
    service.meanwhile("CreateFlowAlias", lambda: service.add_alias(FLOW, "prod", {"1": 100}, description="theirs"))
    result = run(run_main, routing=CANARY)
    assert result["changed"] is True and result["changes"] == ["routing"]
    assert service.write_actions() == ["CreateFlowAlias", "UpdateFlowAlias"]
    assert service.alias(FLOW, "prod")["Description"] == "theirs"


def test_check_mode_on_a_flow_that_does_not_exist_yet_would_create(run_main, service) -> None:
    result = run(run_main, flow_name="later", routing=CANARY, _ansible_check_mode=True)
    assert result["changed"] is True and "does not exist yet" in result["warnings"][0]
    assert service.writes() == []
    real = run(run_main, flow_name="later", routing=CANARY)
    assert real["failed"] and real["error"]["code"] == "FlowNotExists" and "Alias 'prod' of flow 'later'" in real["msg"]


def test_service_refusals_carry_the_error(run_main, service) -> None:
    service.add_alias(FLOW, "prod", {"1": 100})
    service.inject("UpdateFlowAlias", ApiError("UpdateFlowAlias", 400, "InvalidArgument", "Parameter error.", "req-400"))
    result = run(run_main, description="x")
    assert result["failed"] and result["error"]["code"] == "InvalidArgument" and result["msg"].startswith("Alias 'prod' of flow 'flow'")
