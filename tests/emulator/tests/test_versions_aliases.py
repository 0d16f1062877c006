# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Versions and aliases (shared/cloudflow-flows-schedules.md 1.4 and 3.1): the eight actions,
Qualifier on StartExecution and ListExecutions, DescribeFlow with FlowVersion, weighted routing
under routing_seed, the emulator's chosen errors and limits, and the control surface for them."""
from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any, Dict, List

import pytest

from conftest import wait_until
from helpers import Api

DEFINITION_1 = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: first\n"
DEFINITION_2 = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: second\n"
FLOW = {"Name": "f1", "Definition": DEFINITION_1, "Description": "the flow", "Type": "FDL"}
ENV = {"Variables": [{"Name": "STAGE", "Value": "prod"}]}


@pytest.fixture(autouse=True)
def no_quotas(control: Any) -> None:
    """These tests make many calls of one action; the quota test switches quotas back on."""
    control.configure(quotas_enabled=False)


def routes(*pairs: Any) -> str:
    """RoutingConfigurations as the SDK sends it: a JSON string."""
    return json.dumps([{"Version": version, "Weight": weight} for version, weight in pairs])


def publish(api: Api, description: str = "", flow: str = "f1") -> str:
    params = {"FlowName": flow}
    if description:
        params["Description"] = description
    version: str = api.call("PublishFlowVersion", params)["Version"]
    return version


def flow_with_versions(api: Api, count: int = 2) -> None:
    """f1 with versions 1 (DEFINITION_1) and, from 2 on, DEFINITION_2."""
    api.call("CreateFlow", FLOW)
    publish(api, "first")
    for _index in range(count - 1):
        api.call("UpdateFlow", {"Name": "f1", "Definition": DEFINITION_2})
        publish(api, "second")


def start(api: Api, name: str, qualifier: Any = None, flow: str = "f1") -> Dict[str, Any]:
    return api.call("StartExecution", {"FlowName": flow, "ExecutionName": name,
                                       "Qualifier": qualifier})


def ran(control: Any, flow: str = "f1") -> Dict[str, Any]:
    """execution name -> the version it ran (control record)."""
    return {e["Name"]: e["flow_version"] for e in control.executions(flow)}


# ------------------------------------------------------------------ versions -----------------

def test_publish_numbers_versions_from_one_and_never_reuses_them(api: Api) -> None:
    api.call("CreateFlow", FLOW)
    first = api.call("PublishFlowVersion", {"FlowName": "f1", "Description": "v one"})
    assert set(first) == {"RequestId", "FlowName", "Version", "Description", "CreatedTime"}
    assert (first["FlowName"], first["Version"], first["Description"]) == ("f1", "1", "v one")
    # nothing changed: a new version anyway (the reference: publishes whatever the flow is)
    assert publish(api) == "2"
    assert api.call("DescribeFlow", {"Name": "f1", "FlowVersion": "2"})["Definition"] \
        == DEFINITION_1
    api.call("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "2"})
    assert publish(api) == "3"  # 2 is not reused
    listed = api.call("ListFlowVersions", {"FlowName": "f1"})
    assert [v["Version"] for v in listed["FlowVersions"]] == ["1", "3"]
    assert set(listed["FlowVersions"][0]) == {"Version", "Description", "CreatedTime"}
    assert listed["FlowVersions"][1]["Description"] == ""  # Description omitted
    assert "NextToken" not in listed
    # versions belong to the flow: a new flow of the same name starts again from 1
    api.call("DeleteFlow", {"Name": "f1"})
    assert wait_until(lambda: api.request("DescribeFlow", {"Name": "f1"}).status_code == 404)
    api.call("CreateFlow", FLOW)
    assert api.call("ListFlowVersions", {"FlowName": "f1"})["FlowVersions"] == []
    assert publish(api) == "1"


def test_list_flow_versions_paging(api: Api, control) -> None:  # type: ignore
    api.call("CreateFlow", FLOW)
    for _index in range(5):
        publish(api)
    api.call("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "3"})
    seen, token, pages = [], None, 0
    while True:
        page = api.call("ListFlowVersions", {"FlowName": "f1", "Limit": "2", "NextToken": token})
        seen.extend(v["Version"] for v in page["FlowVersions"])
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["1", "2", "4", "5"] and pages == 2
    # the token is a version number: one deleted in between still pages on
    page = api.call("ListFlowVersions", {"FlowName": "f1", "NextToken": "3"})
    assert [v["Version"] for v in page["FlowVersions"]] == ["4", "5"]
    for token in ("x", "0", "-1", "01"):
        api.error("ListFlowVersions", {"FlowName": "f1", "NextToken": token}, status=400,
                  code="InvalidArgument")
    for limit in ("0", "1001", "x"):
        api.error("ListFlowVersions", {"FlowName": "f1", "Limit": limit}, status=400,
                  code="InvalidArgument")
    api.error("ListFlowVersions", {"FlowName": "nope"}, status=404, code="FlowNotExists")
    api.error("ListFlowVersions", {}, status=400, code="MissingRequiredParams")


def test_describe_flow_with_flow_version_answers_the_snapshot(api: Api) -> None:
    created = api.call("CreateFlow", dict(FLOW, Environment=json.dumps(ENV),
                                          RoleArn="acs:ram::1:role/one"))
    publish(api, "the first release")
    time.sleep(0.01)
    api.call("UpdateFlow", {"Name": "f1", "Definition": DEFINITION_2, "Description": "changed",
                            "RoleArn": "acs:ram::1:role/two", "Environment": ""})
    current = api.call("DescribeFlow", {"Name": "f1"})
    first = api.call("DescribeFlow", {"Name": "f1", "FlowVersion": "1"})
    assert set(first) == set(created)  # DescribeFlow's fields, no more
    assert first["Definition"] == DEFINITION_1 and first["Description"] == "the flow"
    assert first["RoleArn"] == "acs:ram::1:role/one" and first["Environment"] == ENV
    assert first["LastModifiedTime"] == created["LastModifiedTime"]
    assert (first["Name"], first["Id"], first["CreatedTime"]) == (
        current["Name"], current["Id"], current["CreatedTime"])
    assert current["Definition"] == DEFINITION_2 and "Environment" not in current
    assert publish(api) == "2"
    second = api.call("DescribeFlow", {"Name": "f1", "FlowVersion": "2"})
    assert {k: v for k, v in second.items() if k != "RequestId"} == {
        k: v for k, v in current.items() if k != "RequestId"}
    assert api.call("DescribeFlow", {"Name": "f1", "FlowVersion": ""})["Definition"] \
        == DEFINITION_2  # empty = absent
    body = api.error("DescribeFlow", {"Name": "f1", "FlowVersion": "7"}, status=404,
                     code="FlowVersionNotExists")
    assert body["Message"] == "Version 7 of flow f1 does not exist."
    for bad in ("0", "01", "v1", "-1", "1.0"):
        api.error("DescribeFlow", {"Name": "f1", "FlowVersion": bad}, status=400,
                  code="InvalidArgument")
    api.error("DescribeFlow", {"Name": "nope", "FlowVersion": "1"}, status=404,
              code="FlowNotExists")


def test_version_errors(api: Api) -> None:
    api.error("PublishFlowVersion", {"FlowName": "f1"}, status=404, code="FlowNotExists")
    api.error("PublishFlowVersion", {}, status=400, code="MissingRequiredParams")
    api.call("CreateFlow", FLOW)
    api.error("PublishFlowVersion", {"FlowName": "f1", "Description": "d" * 257}, status=400,
              code="InvalidArgument")
    api.error("PublishFlowVersion", {"FlowName": "bad name"}, status=400,
              code="InvalidArgument")
    body = api.error("DeleteFlowVersion", {"FlowName": "f1"}, status=400,
                     code="MissingRequiredParams")
    assert "FlowVersion" in body["Message"]
    api.error("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "1"}, status=404,
              code="FlowVersionNotExists")
    api.error("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "one"}, status=400,
              code="InvalidArgument")
    api.error("DeleteFlowVersion", {"FlowName": "nope", "FlowVersion": "1"}, status=404,
              code="FlowNotExists")
    publish(api)
    assert set(api.call("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "1"})) \
        == {"RequestId"}
    api.error("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "1"}, status=404,
              code="FlowVersionNotExists")


def test_version_and_alias_limits(api: Api, control) -> None:  # type: ignore
    control.configure(max_versions_per_flow=2, max_aliases_per_flow=1)
    api.call("CreateFlow", FLOW)
    publish(api)
    publish(api)
    body = api.error("PublishFlowVersion", {"FlowName": "f1"}, status=400, code="LimitExceeded")
    assert body["Message"] == "The number of versions of flow f1 has reached the limit (2)."
    api.call("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "1"})
    assert publish(api) == "3"  # deleting makes room; the number goes on
    api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "a1", "RoutingConfigurations":
                                 routes(("2", 100))})
    body = api.error("CreateFlowAlias", {"FlowName": "f1", "Name": "a2",
                                         "RoutingConfigurations": routes(("2", 100))},
                     status=400, code="LimitExceeded")
    assert body["Message"] == "The number of aliases of flow f1 has reached the limit (1)."
    config = control.configure(max_aliases_per_flow=100)
    assert config["max_versions_per_flow"] == 2
    api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "a2",
                                 "RoutingConfigurations": routes(("2", 100))})


# ------------------------------------------------------------------ aliases ------------------

def test_alias_lifecycle_and_reply_shapes(api: Api) -> None:
    flow_with_versions(api, 2)
    created = api.call("CreateFlowAlias", {
        "FlowName": "f1", "Name": "prod", "Description": "production",
        "RoutingConfigurations": routes(("1", 80), (2, 20))})  # a version may be a number
    assert set(created) == {"RequestId", "FlowName", "Name", "Description",
                            "RoutingConfigurations", "CreatedTime"}
    assert created["RoutingConfigurations"] == [{"Version": "1", "Weight": 80},
                                                {"Version": "2", "Weight": 20}]
    assert (created["FlowName"], created["Name"], created["Description"]) == (
        "f1", "prod", "production")
    described = api.call("DescribeFlowAlias", {"FlowName": "f1", "Name": "prod"})
    assert set(described) == {"RequestId", "Alias"}
    assert described["Alias"] == {k: created[k] for k in (
        "Name", "Description", "RoutingConfigurations", "CreatedTime")}
    # partial update: only what is sent changes
    updated = api.call("UpdateFlowAlias", {"FlowName": "f1", "Name": "prod",
                                           "RoutingConfigurations": routes(("2", 100))})
    assert set(updated) == {"RequestId", "Alias"}
    assert updated["Alias"]["RoutingConfigurations"] == [{"Version": "2", "Weight": 100}]
    assert updated["Alias"]["Description"] == "production"
    assert updated["Alias"]["CreatedTime"] == created["CreatedTime"]
    updated = api.call("UpdateFlowAlias", {"FlowName": "f1", "Name": "prod", "Description": ""})
    assert updated["Alias"]["Description"] == ""
    assert updated["Alias"]["RoutingConfigurations"] == [{"Version": "2", "Weight": 100}]
    assert api.call("UpdateFlowAlias", {"FlowName": "f1", "Name": "prod"})["Alias"] \
        == updated["Alias"]
    plain = api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "canary",
                                         "RoutingConfigurations": routes(("1", 30), ("2", 70))})
    assert plain["Description"] == ""
    listed = api.call("ListFlowAliases", {"FlowName": "f1"})
    assert set(listed) == {"RequestId", "Aliases"}
    # ListFlowAliases answers Weight as a string (the SDK's model), the others an integer
    assert listed["Aliases"] == [
        {"Name": "canary", "Description": "", "CreatedTime": plain["CreatedTime"],
         "RoutingConfigurations": [{"Version": "1", "Weight": "30"},
                                   {"Version": "2", "Weight": "70"}]},
        {"Name": "prod", "Description": "", "CreatedTime": created["CreatedTime"],
         "RoutingConfigurations": [{"Version": "2", "Weight": "100"}]}]
    assert set(api.call("DeleteFlowAlias", {"FlowName": "f1", "Name": "prod"})) == {"RequestId"}
    api.error("DescribeFlowAlias", {"FlowName": "f1", "Name": "prod"}, status=404,
              code="FlowAliasNotExists")
    assert [a["Name"] for a in api.call("ListFlowAliases", {"FlowName": "f1"})["Aliases"]] \
        == ["canary"]


def test_alias_errors(api: Api) -> None:
    create = {"FlowName": "f1", "Name": "prod", "RoutingConfigurations": routes(("1", 100))}
    api.error("CreateFlowAlias", create, status=404, code="FlowNotExists")
    flow_with_versions(api, 1)
    api.call("CreateFlowAlias", create)
    body = api.error("CreateFlowAlias", create, status=409, code="FlowAliasAlreadyExists")
    assert body["Message"] == "The alias prod already exists in flow f1."
    for missing in ("FlowName", "Name", "RoutingConfigurations"):
        params = {k: v for k, v in create.items() if k != missing}
        body = api.error("CreateFlowAlias", params, status=400, code="MissingRequiredParams")
        assert missing in body["Message"]
    for name in ("1prod", "a.b", "x" * 129):  # the flow-name rule
        api.error("CreateFlowAlias", dict(create, Name=name), status=400,
                  code="InvalidArgument")
    api.error("CreateFlowAlias", dict(create, Name="other", Description="d" * 257),
              status=400, code="InvalidArgument")
    for action in ("DescribeFlowAlias", "DeleteFlowAlias", "UpdateFlowAlias"):
        body = api.error(action, {"FlowName": "f1", "Name": "nope"}, status=404,
                         code="FlowAliasNotExists")
        assert body["Message"] == "The alias nope for flow f1 does not exist."
        api.error(action, {"FlowName": "nope", "Name": "prod"}, status=404,
                  code="FlowNotExists")
        api.error(action, {"FlowName": "f1"}, status=400, code="MissingRequiredParams")
    api.error("ListFlowAliases", {"FlowName": "nope"}, status=404, code="FlowNotExists")
    api.error("ListFlowAliases", {}, status=400, code="MissingRequiredParams")


BAD_ROUTES = [
    "", "not json", "{}", "[]", json.dumps([{"Version": "1", "Weight": 100}] * 3),
    routes(("1", 50), ("2", 30), ("3", 20)), routes(("1", 101)), routes(("1", -1), ("2", 101)),
    routes(("1", "100")), routes(("1", 100.0)), routes(("1", True)), routes(("1", None)),
    routes(("1", 50), ("1", 50)), routes(("1", 50), (1, 50)), routes(("9", 100)),
    routes(("1", 90)), routes(("1", 60), ("2", 50)), routes(("01", 100)), routes(("0", 100)),
    routes((True, 100)), routes(("prod", 100)), json.dumps([{"Version": "1"}]),
    json.dumps([{"Version": "1", "Weight": 100, "Extra": 1}]), json.dumps(["1"]),
    json.dumps([{"version": "1", "weight": 100}]),
]


@pytest.mark.parametrize("raw", BAD_ROUTES)
def test_routing_configurations_rejected(api: Api, raw: str) -> None:
    flow_with_versions(api, 2)
    params = {"FlowName": "f1", "Name": "a1", "RoutingConfigurations": raw}
    if raw == "":
        api.error("CreateFlowAlias", params, status=400, code="MissingRequiredParams")
    else:
        api.error("CreateFlowAlias", params, status=400, code="InvalidArgument")
    api.call("CreateFlowAlias", dict(params, RoutingConfigurations=routes(("1", 100))))
    api.error("UpdateFlowAlias", params, status=400, code="InvalidArgument")
    assert api.call("DescribeFlowAlias", {"FlowName": "f1", "Name": "a1"})["Alias"][
        "RoutingConfigurations"] == [{"Version": "1", "Weight": 100}]


def test_routing_configurations_accepted(api: Api) -> None:
    flow_with_versions(api, 2)
    for index, raw in enumerate([routes(("1", 100)), routes(("2", 0), ("1", 100)),
                                 routes((1, 50), (2, 50)), routes(("2", 1), ("1", 99))]):
        reply = api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "a%d" % index,
                                             "RoutingConfigurations": raw})
        assert [(r["Version"], r["Weight"]) for r in reply["RoutingConfigurations"]] == [
            (str(r["Version"]), r["Weight"]) for r in json.loads(raw)]


def test_deleting_a_routed_version_is_refused(api: Api) -> None:
    flow_with_versions(api, 3)
    api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "prod",
                                 "RoutingConfigurations": routes(("1", 100), ("2", 0))})
    api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "canary",
                                 "RoutingConfigurations": routes(("1", 90), ("3", 10))})
    body = api.error("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "1"}, status=409,
                     code="FlowVersionInUse")
    assert body["Message"] == "Version 1 of flow f1 is in use by alias(es): canary, prod."
    # a route with weight 0 still names the version
    api.error("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "2"}, status=409,
              code="FlowVersionInUse")
    api.call("UpdateFlowAlias", {"FlowName": "f1", "Name": "prod",
                                 "RoutingConfigurations": routes(("1", 100))})
    api.call("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "2"})
    api.call("DeleteFlowAlias", {"FlowName": "f1", "Name": "canary"})
    api.call("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "3"})
    assert [v["Version"] for v in api.call("ListFlowVersions", {"FlowName": "f1"})[
        "FlowVersions"]] == ["1"]
    # an alias cannot route to a deleted version
    api.error("UpdateFlowAlias", {"FlowName": "f1", "Name": "prod",
                                  "RoutingConfigurations": routes(("2", 100))},
              status=400, code="InvalidArgument")


def test_list_flow_aliases_paging(api: Api, control) -> None:  # type: ignore
    flow_with_versions(api, 1)
    for name in ("e", "c", "a", "d", "b"):
        api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "alias_" + name,
                                     "RoutingConfigurations": routes(("1", 100))})
    names, token, pages = [], None, 0
    while True:
        page = api.call("ListFlowAliases", {"FlowName": "f1", "Limit": 2, "NextToken": token})
        names.extend(a["Name"] for a in page["Aliases"])
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
        assert token == "alias_" + "abcde"[len(names)]
    assert names == ["alias_a", "alias_b", "alias_c", "alias_d", "alias_e"] and pages == 3
    api.error("ListFlowAliases", {"FlowName": "f1", "NextToken": "unknown"}, status=400,
              code="InvalidArgument")
    for limit in (0, 1001, "x"):
        api.error("ListFlowAliases", {"FlowName": "f1", "Limit": limit}, status=400,
                  code="InvalidArgument")


# ------------------------------------------------------------------ Qualifier ----------------

def test_start_execution_with_a_version_runs_its_snapshot(api: Api, control) -> None:  # type: ignore
    flow_with_versions(api, 2)
    api.call("UpdateFlow", {"Name": "f1", "Definition": "version: v1\ntype: flow\nsteps: []\n"})
    plain = start(api, "plain")
    by_one = start(api, "by-one", "1")
    by_two = start(api, "by-two", "2")
    assert set(by_one) == set(plain)  # no field tells the version in the API's answer
    assert by_one["FlowDefinition"] == DEFINITION_1 and by_two["FlowDefinition"] == DEFINITION_2
    assert plain["FlowDefinition"] == "version: v1\ntype: flow\nsteps: []\n"
    described = api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "by-one"})
    assert described["FlowDefinition"] == DEFINITION_1 and "Qualifier" not in described
    listed = api.call("ListExecutions", {"FlowName": "f1"})["Executions"]
    assert {e["Name"]: e["FlowDefinition"] for e in listed}["by-two"] == DEFINITION_2
    history = api.call("GetExecutionHistory", {"FlowName": "f1", "ExecutionName": "by-two"})
    assert [e["StepName"] for e in history["Events"] if e["Type"] == "StepEntered"] == ["second"]
    records = {e["Name"]: e for e in control.executions("f1")}
    assert (records["plain"]["flow_version"], records["plain"]["qualifier"]) == (None, None)
    assert (records["by-one"]["flow_version"], records["by-one"]["qualifier"]) == ("1", "1")
    assert (records["by-two"]["flow_version"], records["by-two"]["qualifier"]) == ("2", "2")
    # a running duplicate is returned as it is, whatever the Qualifier
    assert start(api, "by-one", "2")["FlowDefinition"] == DEFINITION_1
    # deleting a version leaves its executions as they were
    api.call("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "1"})
    assert api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "by-one"})[
        "FlowDefinition"] == DEFINITION_1
    assert control.execution("f1", "by-one")["Status"] == "Running"


def test_qualifier_errors(api: Api) -> None:
    flow_with_versions(api, 1)
    body = api.error("StartExecution", {"FlowName": "f1", "Qualifier": "5"}, status=404,
                     code="FlowVersionNotExists")
    assert body["Message"] == "Version 5 of flow f1 does not exist."
    api.error("StartExecution", {"FlowName": "f1", "Qualifier": "prod"}, status=404,
              code="FlowAliasNotExists")
    for bad in ("0", "01", "a.b", "-1", "1x"):
        api.error("StartExecution", {"FlowName": "f1", "Qualifier": bad}, status=400,
                  code="InvalidArgument")
        api.error("ListExecutions", {"FlowName": "f1", "Qualifier": bad}, status=400,
                  code="InvalidArgument")
    api.error("StartExecution", {"FlowName": "nope", "Qualifier": "1"}, status=404,
              code="FlowNotExists")
    assert start(api, "empty", "")["Name"] == "empty"  # an empty Qualifier is no Qualifier


def test_weighted_routing_is_deterministic_under_a_seed(api: Api, control) -> None:  # type: ignore
    control.configure(routing_seed=42)
    flow_with_versions(api, 2)
    api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "prod",
                                 "RoutingConfigurations": routes(("1", 80), ("2", 20))})
    for index in range(200):
        start(api, "a%03d" % index, "prod")
    versions = ran(control)
    first = [versions["a%03d" % index] for index in range(200)]
    split = Counter(first)
    # 200 draws at 80/20: mean 160, standard deviation about 5.7
    assert set(split) == {"1", "2"} and 135 <= split["1"] <= 185, split
    # the same seed again: the same sequence of versions
    control.configure(routing_seed=42)
    for index in range(200):
        start(api, "b%03d" % index, "prod")
    versions = ran(control)
    assert [versions["b%03d" % index] for index in range(200)] == first
    # starts without an alias draw nothing, so they do not shift the sequence
    control.configure(routing_seed=42)
    for index in range(100):
        start(api, "c%03d" % index, "prod")
        start(api, "plain%03d" % index)
        start(api, "pinned%03d" % index, "2")
    versions = ran(control)
    assert [versions["c%03d" % index] for index in range(100)] == first[:100]
    assert {versions["pinned%03d" % index] for index in range(100)} == {"2"}
    # another seed: another sequence; reset: back to the startup setting (no seed)
    control.configure(routing_seed="another")
    for index in range(200):
        start(api, "d%03d" % index, "prod")
    versions = ran(control)
    assert [versions["d%03d" % index] for index in range(200)] != first
    control.reset()
    assert control.config()["routing_seed"] is None


def test_routing_extremes_and_an_updated_alias(api: Api, control) -> None:  # type: ignore
    flow_with_versions(api, 2)
    api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "prod",
                                 "RoutingConfigurations": routes(("1", 0), ("2", 100))})
    for index in range(30):
        start(api, "x%02d" % index, "prod")
    assert set(ran(control).values()) == {"2"}
    api.call("UpdateFlowAlias", {"FlowName": "f1", "Name": "prod",
                                 "RoutingConfigurations": routes(("1", 100))})
    for index in range(30):
        assert start(api, "y%02d" % index, "prod")["FlowDefinition"] == DEFINITION_1
    records = control.executions("f1")
    assert {e["qualifier"] for e in records} == {"prod"}


def test_list_executions_by_qualifier(api: Api, control) -> None:  # type: ignore
    control.configure(routing_seed=7)
    flow_with_versions(api, 2)
    api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "prod",
                                 "RoutingConfigurations": routes(("1", 50), ("2", 50))})
    api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "canary",
                                 "RoutingConfigurations": routes(("2", 100))})
    start(api, "plain")
    start(api, "pinned-1", "1")
    start(api, "pinned-2", "2")
    start(api, "canary-0", "canary")
    for index in range(20):
        start(api, "prod-%02d" % index, "prod")
    versions = ran(control)
    routed = {name for name, version in versions.items() if name.startswith("prod-")}
    assert {versions[n] for n in routed} == {"1", "2"}  # seed 7 sends some to each

    def names(qualifier: str, **extra: Any) -> List[str]:
        params = dict({"FlowName": "f1", "Qualifier": qualifier, "Limit": 100}, **extra)
        return sorted(e["Name"] for e in api.call("ListExecutions", params)["Executions"])

    # a version matches the executions that ran it, pinned or routed by any alias
    assert names("1") == sorted(["pinned-1"] + [n for n in routed if versions[n] == "1"])
    assert names("2") == sorted(["pinned-2", "canary-0"]
                                + [n for n in routed if versions[n] == "2"])
    # an alias matches the executions started through it, whatever version they ran
    assert names("prod") == sorted(routed)
    assert names("canary") == ["canary-0"]
    assert names("prod", ExecutionNamePrefix="prod-0") == sorted(
        n for n in routed if n.startswith("prod-0"))
    assert len(api.call("ListExecutions", {"FlowName": "f1", "Qualifier": ""})[
        "Executions"]) == 24  # empty = no filter
    # a filter, not a lookup: unknown or deleted aliases and versions match what they ran
    assert names("nosuchalias") == [] and names("9") == []
    api.call("DeleteFlowAlias", {"FlowName": "f1", "Name": "canary"})
    assert names("canary") == ["canary-0"]
    # paging keeps the filter
    seen, token = [], None
    while True:
        page = api.call("ListExecutions", {"FlowName": "f1", "Qualifier": "prod", "Limit": 3,
                                           "NextToken": token})
        seen.extend(e["Name"] for e in page["Executions"])
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(routed) and len(seen) == 20


def test_scheduled_executions_run_the_unpublished_flow(api: Api, control) -> None:  # type: ignore
    flow_with_versions(api, 1)
    api.call("UpdateFlow", {"Name": "f1", "Definition": DEFINITION_2})
    api.call("CreateSchedule", {"FlowName": "f1", "ScheduleName": "s1",
                                "CronExpression": "@every 5m"})
    fired = control.fire_schedules()["fired"][0]["execution_name"]
    record = control.execution("f1", fired)
    assert (record["flow_version"], record["qualifier"]) == (None, None)
    assert record["FlowDefinition"] == DEFINITION_2


# ------------------------------------------------------------------ quotas, log, settings ----

VERSION_ALIAS_ACTIONS = ("PublishFlowVersion", "ListFlowVersions", "DeleteFlowVersion",
                         "CreateFlowAlias", "UpdateFlowAlias", "DescribeFlowAlias",
                         "ListFlowAliases", "DeleteFlowAlias")


def test_version_and_alias_actions_take_the_other_operations_quota(api: Api, control) -> None:  # type: ignore
    from cloudflow_emulator.api import Emulator

    emu = Emulator()
    for action in VERSION_ALIAS_ACTIONS:
        bucket = emu._bucket(action)
        assert (bucket.burst, bucket.refill) == (10, 2), action
    api.call("CreateFlow", FLOW)
    control.configure(quotas_enabled=True)
    ok = 0
    t0 = time.monotonic()
    while ok < 100:
        resp = api.request("ListFlowVersions", {"FlowName": "f1"})
        if resp.status_code == 429:
            assert resp.json()["Code"] == "ResourceThrottled"
            break
        ok += 1
    assert 10 <= ok <= 10 + 2 * (time.monotonic() - t0) + 1


def test_request_log_counts_version_and_alias_writes(api: Api, control) -> None:  # type: ignore
    flow_with_versions(api, 1)
    control.clear_requests()
    params = {"FlowName": "f1", "Name": "prod", "RoutingConfigurations": routes(("1", 100))}
    api.call("CreateFlowAlias", params)
    api.call("UpdateFlowAlias", params)
    api.call("DescribeFlowAlias", {"FlowName": "f1", "Name": "prod"})
    api.call("ListFlowAliases", {"FlowName": "f1"})
    api.call("DeleteFlowAlias", {"FlowName": "f1", "Name": "prod"})
    publish(api)
    api.call("ListFlowVersions", {"FlowName": "f1"})
    api.call("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "2"})
    start(api, "e1", "1")
    log = control.requests()
    assert log["write_count"] == 6
    assert {r["action"] for r in log["requests"]} == set(VERSION_ALIAS_ACTIONS) | {
        "StartExecution"}
    assert {r["flow_name"] for r in log["requests"]} == {"f1"}
    assert log["requests"][-1]["param_names"] == ["ExecutionName", "FlowName", "Qualifier"]
    assert log["requests"][0]["param_names"] == ["FlowName", "Name", "RoutingConfigurations"]


@pytest.mark.parametrize("update", [
    {"routing_seed": True}, {"routing_seed": 1.5}, {"routing_seed": [1]},
    {"max_versions_per_flow": 0}, {"max_versions_per_flow": 1.5},
    {"max_versions_per_flow": True}, {"max_aliases_per_flow": "10"},
    {"max_aliases_per_flow": 100001},
])
def test_bad_version_settings(client, update: Dict[str, Any]) -> None:  # type: ignore
    resp = client.post("/_emulator/config", json=update)
    assert resp.status_code == 400, resp.text


def test_version_settings_defaults(control) -> None:  # type: ignore
    config = control.config()
    assert (config["routing_seed"], config["max_versions_per_flow"],
            config["max_aliases_per_flow"]) == (None, 1000, 100)
    assert control.configure(routing_seed="s")["routing_seed"] == "s"
    assert control.configure(routing_seed=3)["routing_seed"] == 3


# ------------------------------------------------------------------ control surface ----------

def test_control_lists_versions_and_aliases(api: Api, control) -> None:  # type: ignore
    api.call("CreateFlow", dict(FLOW, Environment=json.dumps(ENV), RoleArn="r"))
    publish(api, "first")
    api.call("UpdateFlow", {"Name": "f1", "Definition": DEFINITION_2, "Description": "new"})
    published = control.publish_version("f1", "from the control surface")
    assert published["Version"] == "2" and published["definition"] == DEFINITION_2
    api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "prod", "Description": "p",
                                 "RoutingConfigurations": routes(("1", 100))})
    alias = control.create_alias("f1", "canary", {"1": 50, 2: 50}, description="c")
    assert alias["RoutingConfigurations"] == [{"Version": "1", "Weight": 50},
                                              {"Version": "2", "Weight": 50}]
    start(api, "e1", "1")
    start(api, "e2", "prod")
    start(api, "e3", "2")
    versions = control.versions("f1")
    assert [v["Version"] for v in versions] == ["1", "2"]
    first = versions[0]
    assert first == {
        "Version": "1", "Description": "first", "CreatedTime": first["CreatedTime"],
        "flow_name": "f1", "definition": DEFINITION_1, "flow_description": "the flow",
        "role_arn": "r", "environment": ENV, "last_modified_time": first["last_modified_time"],
        "outcome": None, "execution_count": 2, "aliases": ["canary", "prod"]}
    assert versions[1]["Description"] == "from the control surface"
    assert versions[1]["flow_description"] == "new" and versions[1]["execution_count"] == 1
    aliases = control.aliases("f1")
    assert [a["Name"] for a in aliases] == ["canary", "prod"]
    assert aliases[1] == {
        "Name": "prod", "Description": "p", "CreatedTime": aliases[1]["CreatedTime"],
        "RoutingConfigurations": [{"Version": "1", "Weight": 100}], "flow_name": "f1",
        "last_modified_time": aliases[1]["last_modified_time"], "execution_count": 1}
    # the API sees what the control surface made
    assert api.call("DescribeFlowAlias", {"FlowName": "f1", "Name": "canary"})["Alias"][
        "Description"] == "c"
    flow = control.flows()[0]
    assert (flow["version_count"], flow["alias_count"]) == (2, 2)


def test_control_version_and_alias_refusals(control, client) -> None:  # type: ignore
    from cloudflow_emulator import EmulatorControlError

    for call in (lambda: control.versions("nope"), lambda: control.aliases("nope"),
                 lambda: control.publish_version("nope"),
                 lambda: control.create_alias("nope", "a", {"1": 100}),
                 lambda: control.set_version_outcome("nope", 1, "Failed")):
        with pytest.raises(EmulatorControlError) as info:
            call()
        assert info.value.status == 404
    control.create_flow("f1")
    control.publish_version("f1")
    control.create_alias("f1", "prod", {"1": 100})
    with pytest.raises(EmulatorControlError) as info:
        control.create_alias("f1", "prod", {"1": 100})
    assert info.value.status == 409
    for routing in ({"1": 90}, {"2": 100}, {"1": 50, "x": 50}):
        with pytest.raises(EmulatorControlError) as info:
            control.create_alias("f1", "other", routing)
        assert info.value.status == 400
    for body in ({"routing_configurations": [{"version": "1", "weight": 100}]},
                 {"name": "a1", "routing_configurations": "[]"},
                 {"name": "a1", "routing_configurations": [{"Version": "1", "Weight": 100}]},
                 {"name": "a1", "routing_configurations": [{"version": "1", "weight": 100}],
                  "description": 5}):
        assert client.post("/_emulator/flows/f1/aliases", json=body).status_code == 400, body
    assert client.post("/_emulator/flows/f1/versions", json={"description": 1}).status_code \
        == 400
    control.configure(max_versions_per_flow=1)
    with pytest.raises(EmulatorControlError) as info:
        control.publish_version("f1")
    assert info.value.status == 400 and "limit" in info.value.message
    for version, body in (("0", {"outcome": "Failed"}), ("x", {"outcome": "Failed"}),
                          ("1", {"outcome": "Running"}), ("1", {"outcome": "Weird"}),
                          ("1", {"outcome": "Failed", "run_seconds": -1}),
                          ("1", {"outcome": "Failed", "error": 5})):
        resp = client.post("/_emulator/flows/f1/versions/%s/outcome" % version, json=body)
        assert resp.status_code == 400, (version, body)


def test_version_outcome_plans_how_executions_end(api: Api, control) -> None:  # type: ignore
    control.configure(routing_seed=1)
    flow_with_versions(api, 2)
    start(api, "before", "2")  # started before the plan: unchanged
    plan = control.set_version_outcome("f1", 2, "Failed", run_seconds=0.2, error="Boom",
                                       cause="version 2 is broken")
    assert plan == {"flow_name": "f1", "version": "2", "outcome": "Failed", "run_seconds": 0.2,
                    "output": None, "error": "Boom", "cause": "version 2 is broken"}
    assert control.versions("f1")[1]["outcome"] == {k: plan[k] for k in (
        "outcome", "run_seconds", "output", "error", "cause")}
    api.call("CreateFlowAlias", {"FlowName": "f1", "Name": "prod",
                                 "RoutingConfigurations": routes(("1", 50), ("2", 50))})
    t0 = time.monotonic()
    for index in range(10):
        start(api, "r%d" % index, "prod")
    start(api, "pinned", "2")
    start(api, "plain")
    final = api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "pinned",
                                           "WaitTimeSeconds": 5})
    assert final["Status"] == "Failed" and time.monotonic() - t0 >= 0.15
    history = api.call("GetExecutionHistory", {"FlowName": "f1", "ExecutionName": "pinned"})
    failed = [e for e in history["Events"] if e["Type"] == "ExecutionFailed"]
    detail = json.loads(failed[0]["EventDetail"])
    assert detail == {"error": "Boom", "cause": "version 2 is broken"}
    assert wait_until(lambda: all(
        e["Status"] == ("Failed" if e["flow_version"] == "2" else "Running")
        for e in control.executions("f1") if e["Name"].startswith("r")), timeout=3)
    records = {e["Name"]: e for e in control.executions("f1")}
    assert {records["r%d" % i]["flow_version"] for i in range(10)} == {"1", "2"}
    assert records["before"]["Status"] == "Running" and records["plain"]["Status"] == "Running"
    # a plan for a version still to be published; Succeeded with an output; run until told
    control.set_version_outcome("f1", "3", "Succeeded", run_seconds=0, output={"ok": True})
    publish(api)
    assert api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": start(
        api, "v3", "3")["Name"], "WaitTimeSeconds": 5})["Output"] == '{"ok":true}'
    control.set_version_outcome("f1", 3, "TimedOut", run_seconds=None)
    start(api, "v3-forever", "3")
    time.sleep(0.1)
    assert control.execution("f1", "v3-forever")["Status"] == "Running"
    # forget the plan: the flow's run_seconds rules again
    assert control.set_version_outcome("f1", 2, None) == {
        "flow_name": "f1", "version": "2", "outcome": None}
    control.create_flow("f1", run_seconds=0)
    start(api, "after", "2")
    assert api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "after",
                                          "WaitTimeSeconds": 5})["Status"] == "Succeeded"
    # a deleted version has no plan to set
    api.call("DeleteFlowAlias", {"FlowName": "f1", "Name": "prod"})
    api.call("DeleteFlowVersion", {"FlowName": "f1", "FlowVersion": "1"})
    from cloudflow_emulator import EmulatorControlError
    with pytest.raises(EmulatorControlError) as info:
        control.set_version_outcome("f1", 1, "Failed")
    assert info.value.status == 404


def test_reset_forgets_versions_aliases_and_plans(api: Api, control) -> None:  # type: ignore
    flow_with_versions(api, 1)
    control.create_alias("f1", "prod", {"1": 100})
    control.set_version_outcome("f1", 1, "Failed")
    control.reset()
    api.call("CreateFlow", FLOW)
    assert control.versions("f1") == [] and control.aliases("f1") == []
    assert publish(api) == "1" and control.versions("f1")[0]["outcome"] is None
