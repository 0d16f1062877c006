# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Versions: numbers, content compared by meaning, what protects a version, the pruning choice, calls on the fake."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._versions import (
    CONTENT_FIELDS,
    check_version,
    delete_version,
    describe_version,
    differences,
    in_progress_reason,
    list_versions,
    protected_versions,
    prune_plan,
    publish_version,
    routed_reason,
)
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"
DEFINITION = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: one\n"


@pytest.mark.parametrize("value, expected", [("1", "1"), (1, "1"), (" 12 ", "12"), (9999999999, "9999999999")])
def test_version_numbers_accepted(value: t.Any, expected: str) -> None:
    assert check_version("version", value) == expected


@pytest.mark.parametrize("value", ["0", "01", "-1", "1.0", "v1", "", None, True, 1.0, 0, 99999999999, [1]])
def test_version_numbers_refused_naming_the_option(value: t.Any) -> None:
    with pytest.raises(ConfigurationError) as refused:
        check_version("version", value)
    assert refused.value.option == "version" and "version number" in str(refused.value)


# -- content compared by meaning ---------------------------------------------------------------------------------------

def flow(**fields: t.Any) -> dict[str, t.Any]:
    record = {"Name": FLOW, "Definition": DEFINITION, "Description": "a flow", "RoleArn": "acs:ram::1:role/run",
              "Environment": {"Variables": [{"Name": "A", "Value": "1", "Description": "first"}]}}
    record.update(fields)
    return record


@pytest.mark.parametrize("version", [
    flow(),
    # the same document with other spacing, key order and a comment
    flow(Definition="# the flow\ntype: flow\nversion: v1\nsteps:\n- name: one\n  type: pass\n"),
    # the same document as JSON
    flow(Definition='{"version": "v1", "type": "flow", "steps": [{"type": "pass", "name": "one"}]}'),
    # the environment as JSON text, without the per-variable description
    flow(Environment='{"Variables": [{"Name": "A", "Value": "1"}]}'),
])
def test_the_same_content_in_another_form_is_no_difference(version: dict[str, t.Any]) -> None:
    assert differences(flow(), version) == []


@pytest.mark.parametrize("version, expected", [
    (flow(Definition=DEFINITION.replace("one", "two")), ["definition"]),
    (flow(Description="another"), ["description"]),
    (flow(Description=""), ["description"]),
    (flow(Environment={"Variables": [{"Name": "A", "Value": "2"}]}), ["environment"]),
    (flow(Environment=None), ["environment"]),
    (flow(RoleArn=""), ["role_arn"]),
    (flow(Definition="steps: []", Description="x", Environment=None, RoleArn="acs:ram::1:role/other"), list(CONTENT_FIELDS)),
])
def test_each_content_field_that_differs_is_named_in_order(version: dict[str, t.Any], expected: list[str]) -> None:
    assert differences(flow(), version) == expected


def test_no_description_role_or_environment_reads_the_same_as_empty_ones() -> None:
    bare = {"Name": FLOW, "Definition": DEFINITION}
    assert differences(bare, flow(Description="", RoleArn="", Environment={"Variables": []})) == []


def test_a_definition_that_is_not_yaml_is_compared_as_text() -> None:
    assert differences(flow(Definition="a: [b"), flow(Definition="a: [b")) == []
    assert differences(flow(Definition="a: [b"), flow(Definition="a: [c")) == ["definition"]


def test_a_flow_never_published_differs_in_every_field() -> None:
    assert differences(flow(), None) == list(CONTENT_FIELDS)


# -- the pruning choice ------------------------------------------------------------------------------------------------

def test_prune_keeps_the_newest_n_by_number_not_by_text() -> None:
    plan = prune_plan(["10", "9", "8", "11", "2"], 3, {})
    assert plan.delete == ["2", "8"] and plan.kept == {}


def test_prune_never_deletes_a_protected_version_and_says_why() -> None:
    protected = {"1": "alias prod routes to it", "3": "1 execution in progress: run-1", "5": "alias canary routes to it"}
    plan = prune_plan(["1", "2", "3", "4", "5", "6"], 2, protected)
    assert plan.delete == ["2", "4"]
    # 5 is among the newest two: kept as such, not for its alias
    assert plan.kept == {"1": "alias prod routes to it", "3": "1 execution in progress: run-1"}


@pytest.mark.parametrize("versions, keep", [([], 3), (["1", "2"], 2), (["1"], 5)])
def test_prune_with_no_more_than_keep_deletes_nothing(versions: list[str], keep: int) -> None:
    assert prune_plan(versions, keep, {"1": "alias prod routes to it"}) == ([], {})


def test_reasons_name_the_aliases_and_the_executions() -> None:
    assert routed_reason(["prod"]) == "alias prod routes to it"
    assert routed_reason(["canary", "prod"]) == "aliases canary, prod route to it"
    assert in_progress_reason([{"Name": "run-1"}]) == "1 execution in progress: run-1"
    many = [{"Name": "run-{0}".format(index)} for index in range(7)]
    assert in_progress_reason(many) == "7 executions in progress: run-0, run-1, run-2, run-3, run-4 and 2 more"


# -- calls -------------------------------------------------------------------------------------------------------------

@pytest.fixture
def service() -> FakeCloudFlow:
    fake = FakeCloudFlow(page_size=2)
    fake.add_flow(FLOW, description="first")
    return fake


def test_protected_versions_asks_for_executions_only_of_unrouted_candidates(service: FakeCloudFlow) -> None:
    for _number in range(4):
        service.publish(FLOW)
    service.add_execution(FLOW, "pinned", "Running", qualifier="2")
    service.add_execution(FLOW, "starting", "Starting", qualifier="3")
    service.add_execution(FLOW, "done", "Succeeded", qualifier="4")
    reasons = protected_versions(service, FLOW, ["1", "2", "3", "4"], {"1": ["prod"], "2": ["canary", "prod"]})  # type: ignore[arg-type]
    assert reasons == {"1": "alias prod routes to it", "2": "aliases canary, prod route to it", "3": "1 execution in progress: starting"}
    qualifiers = sorted({params["Qualifier"] for params in service.sent("ListExecutions")})
    assert qualifiers == ["3", "4"]
    assert {params["Status"] for params in service.sent("ListExecutions")} == {"Starting", "Running"}
    assert service.writes() == []


def test_executions_routed_by_an_alias_count_for_the_version_they_ran(service: FakeCloudFlow) -> None:
    service.publish(FLOW)
    service.publish(FLOW)
    service.add_execution(FLOW, "through-prod", "Running", qualifier="prod", flow_version="2")
    assert protected_versions(service, FLOW, ["1", "2"], {}) == {"2": "1 execution in progress: through-prod"}  # type: ignore[arg-type]


def test_publish_list_describe_delete(service: FakeCloudFlow) -> None:
    first = publish_version(service, FLOW, "release 1")  # type: ignore[arg-type]
    assert first == {"flow_name": FLOW, "version": "1", "description": "release 1", "created_time": first["created_time"]}
    service.record(FLOW)["Description"] = "second"
    for _number in range(3):
        publish_version(service, FLOW)  # type: ignore[arg-type]
    assert service.sent("PublishFlowVersion")[-1] == {"FlowName": FLOW}
    assert [entry["version"] for entry in list_versions(service, FLOW)] == ["1", "2", "3", "4"]  # type: ignore[arg-type]
    assert describe_version(service, FLOW, "1")["Description"] == "first"  # type: ignore[arg-type]
    assert describe_version(service, FLOW, "2")["Description"] == "second"  # type: ignore[arg-type]
    assert delete_version(service, FLOW, "2") is True  # type: ignore[arg-type]
    assert delete_version(service, FLOW, "2") is False  # type: ignore[arg-type]
    assert publish_version(service, FLOW)["version"] == "5"  # type: ignore[arg-type]  # numbers are never reused
    assert [entry["version"] for entry in list_versions(service, FLOW)] == ["1", "3", "4", "5"]  # type: ignore[arg-type]


def test_delete_on_a_retry_that_finds_it_gone_was_ours_and_in_use_is_raised(service: FakeCloudFlow) -> None:
    service.publish(FLOW)
    service.publish(FLOW)
    service.inject("DeleteFlowVersion", ApiError("DeleteFlowVersion", 404, "FlowVersionNotExists", "gone", "req", attempts=3))
    assert delete_version(service, FLOW, "1") is True  # type: ignore[arg-type]
    service.add_alias(FLOW, "prod", {"2": 100})
    with pytest.raises(ApiError) as raised:
        delete_version(service, FLOW, "2")  # type: ignore[arg-type]
    assert raised.value.code == "FlowVersionInUse" and "prod" in str(raised.value)
