# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Conformance: drive the emulator with the official client `alibabacloud-fnf20190315`.

If the package is missing this test FAILS (install tests/emulator/requirements-conformance.txt);
set CLOUDFLOW_SKIP_CONFORMANCE=1 to skip it deliberately.
"""
from __future__ import annotations

import importlib
import os
import time
from typing import Any

import pytest

from helpers import AK, SECRET, STS_AK, STS_SECRET, STS_TOKEN

if os.environ.get("CLOUDFLOW_SKIP_CONFORMANCE") == "1":
    pytest.skip("CLOUDFLOW_SKIP_CONFORMANCE=1", allow_module_level=True)


def _sdk() -> Any:
    try:
        client_mod = importlib.import_module("alibabacloud_fnf20190315.client")
        models = importlib.import_module("alibabacloud_fnf20190315.models")
        try:
            config_mod = importlib.import_module("alibabacloud_tea_openapi.utils_models")
        except ImportError:  # older tea-openapi
            config_mod = importlib.import_module("alibabacloud_tea_openapi.models")
    except ImportError as exc:
        pytest.fail(
            "the official SDK is not installed (%s): pip install -r "
            "tests/emulator/requirements-conformance.txt, or set CLOUDFLOW_SKIP_CONFORMANCE=1"
            % exc, pytrace=False)
    return client_mod.Client, models, config_mod.Config


def make_client(url: str, ak: str = AK, secret: str = SECRET, token: Any = None) -> Any:
    Client, _models, Config = _sdk()
    host_port = url.split("://", 1)[1]
    return Client(Config(access_key_id=ak, access_key_secret=secret, security_token=token,
                         endpoint=host_port, protocol="HTTP", region_id="cn-hangzhou"))


def test_official_sdk_round_trip(emulator_url: str, control) -> None:  # type: ignore
    _client_class, m, _config_class = _sdk()
    control.create_flow("sdk_flow")
    client = make_client(emulator_url)
    started = client.start_execution(m.StartExecutionRequest(
        flow_name="sdk_flow", execution_name="sdk-exec_1",
        input='{"text": "spaces and é ☕ *~/+&=%"}'))
    assert started.status_code == 200
    assert started.body.name == "sdk-exec_1" and started.body.status == "Running"
    assert started.body.input == '{"text": "spaces and é ☕ *~/+&=%"}'
    assert started.body.request_id

    described = client.describe_execution(m.DescribeExecutionRequest(
        flow_name="sdk_flow", execution_name="sdk-exec_1", wait_time_seconds=0))
    assert described.body.status == "Running"
    assert described.body.started_time == started.body.started_time

    for i in range(3):
        client.start_execution(m.StartExecutionRequest(flow_name="sdk_flow",
                                                       execution_name="more%d" % i))
    names, token = [], None
    while True:
        page = client.list_executions(m.ListExecutionsRequest(
            flow_name="sdk_flow", limit=2, next_token=token))
        names.extend(e.name for e in page.body.executions)
        token = page.body.next_token
        if not token:
            break
    assert sorted(names) == ["more0", "more1", "more2", "sdk-exec_1"]
    running = client.list_executions(m.ListExecutionsRequest(flow_name="sdk_flow",
                                                             status="Running"))
    assert len(running.body.executions) == 4

    stopped = client.stop_execution(m.StopExecutionRequest(
        flow_name="sdk_flow", execution_name="sdk-exec_1", error="Ansible.Stop",
        cause="Stopped by Ansible: café ☕ a*b~c/d e+f&g=h 100%"))
    assert stopped.body.status == "Running"
    final = client.describe_execution(m.DescribeExecutionRequest(
        flow_name="sdk_flow", execution_name="sdk-exec_1", wait_time_seconds=5))
    assert final.body.status == "Stopped" and final.body.stopped_time

    log = control.requests()
    assert log["counts"]["StartExecution"] == 4 and log["counts"]["StopExecution"] == 1
    assert {r["signature_algorithm"] for r in log["requests"]} == {"RPC-V1-HMAC-SHA1"}
    assert all(r["http_status"] == 200 for r in log["requests"])


def test_official_sdk_errors(emulator_url: str, control) -> None:  # type: ignore
    _client_class, m, _config_class = _sdk()
    control.create_flow("sdk_flow")
    bad = make_client(emulator_url, secret="not-the-secret")
    with pytest.raises(Exception) as info:
        bad.describe_execution(m.DescribeExecutionRequest(flow_name="sdk_flow",
                                                          execution_name="x"))
    assert getattr(info.value, "code", None) == "SignatureNotMatch"
    assert getattr(info.value, "status_code", None) == 403

    good = make_client(emulator_url)
    with pytest.raises(Exception) as info:
        good.describe_execution(m.DescribeExecutionRequest(flow_name="sdk_flow",
                                                           execution_name="missing"))
    assert info.value.code == "ExecutionNotExists"
    control.seed_execution("sdk_flow", "done", status="Succeeded")
    with pytest.raises(Exception) as info:
        good.stop_execution(m.StopExecutionRequest(flow_name="sdk_flow", execution_name="done"))
    assert info.value.code == "ExecutionAlreadyCompleted"


def test_official_sdk_sts_and_v3(emulator_url: str, control) -> None:  # type: ignore
    _client_class, m, _config_class = _sdk()
    control.seed_execution("sdk_flow", "e1")
    sts = make_client(emulator_url, ak=STS_AK, secret=STS_SECRET, token=STS_TOKEN)
    assert sts.describe_execution(m.DescribeExecutionRequest(
        flow_name="sdk_flow", execution_name="e1")).body.status == "Running"
    v3 = make_client(emulator_url)
    v3._signature_algorithm = None  # call_api then uses do_request (ACS3-HMAC-SHA256)
    assert v3.describe_execution(m.DescribeExecutionRequest(
        flow_name="sdk_flow", execution_name="e1")).body.status == "Running"
    v3.stop_execution(m.StopExecutionRequest(flow_name="sdk_flow", execution_name="e1",
                                             cause="v3 stop: é ☕ a*b~c/d e+f&g=h 100%"))
    v3_sts = make_client(emulator_url, ak=STS_AK, secret=STS_SECRET, token=STS_TOKEN)
    v3_sts._signature_algorithm = None
    assert v3_sts.describe_execution(m.DescribeExecutionRequest(
        flow_name="sdk_flow", execution_name="e1")).body.status == "Stopped"
    algorithms = [r["signature_algorithm"] for r in control.requests()["requests"]]
    assert algorithms == ["RPC-V1-HMAC-SHA1", "ACS3-HMAC-SHA256", "ACS3-HMAC-SHA256",
                          "ACS3-HMAC-SHA256"]


def _sdk_error(call: Any) -> Any:
    with pytest.raises(Exception) as info:
        call()
    return info.value


def test_official_sdk_flows(emulator_url: str, control) -> None:  # type: ignore
    _client_class, m, _config_class = _sdk()
    control.configure(delete_delay_seconds=0.2)
    client = make_client(emulator_url)
    environment = m.CreateFlowRequestEnvironment(variables=[
        m.CreateFlowRequestEnvironmentVariables(name="STAGE", value="prod", description="é ☕"),
        m.CreateFlowRequestEnvironmentVariables(name="LIMIT", value="a&b=c+d %")])
    created = client.create_flow(m.CreateFlowRequest(
        name="sdk_flow", definition="version: v1\ntype: flow\nsteps: []\n",
        description="made by the SDK", type="FDL", execution_mode="Express",
        role_arn="acs:ram::1:role/r", environment=environment))
    assert created.body.name == "sdk_flow" and created.body.execution_mode == "Express"
    variables = created.body.environment.variables
    assert [(v.name, v.value, v.description) for v in variables] == [
        ("STAGE", "prod", "é ☕"), ("LIMIT", "a&b=c+d %", None)]
    conflict = _sdk_error(lambda: client.create_flow(m.CreateFlowRequest(
        name="sdk_flow", definition="x", description="d", type="FDL")))
    assert conflict.code == "FlowAlreadyExists" and conflict.status_code == 409

    updated = client.update_flow(m.UpdateFlowRequest(
        name="sdk_flow", description="changed",
        environment=m.UpdateFlowRequestEnvironment(variables=[
            m.UpdateFlowRequestEnvironmentVariables(name="STAGE", value="test")])))
    assert updated.body.description == "changed"
    assert updated.body.definition == "version: v1\ntype: flow\nsteps: []\n"
    described = client.describe_flow(m.DescribeFlowRequest(name="sdk_flow"))
    assert described.body.execution_mode == "Express" and described.body.role_arn
    assert [(v.name, v.value) for v in described.body.environment.variables] == [
        ("STAGE", "test")]

    for index in range(4):
        client.create_flow(m.CreateFlowRequest(name="more%d" % index, definition="d",
                                               description="d", type="FDL"))
    names, token = [], None
    while True:
        page = client.list_flows(m.ListFlowsRequest(limit=2, next_token=token))
        names.extend(f.name for f in page.body.flows)
        token = page.body.next_token
        if not token:
            break
    assert names == ["more0", "more1", "more2", "more3", "sdk_flow"]

    client.delete_flow(m.DeleteFlowRequest(name="sdk_flow"))
    assert client.describe_flow(m.DescribeFlowRequest(name="sdk_flow")).body.name == "sdk_flow"
    time.sleep(0.3)
    gone = _sdk_error(lambda: client.describe_flow(m.DescribeFlowRequest(name="sdk_flow")))
    assert gone.code == "FlowNotExists" and gone.status_code == 404
    log = control.requests()
    assert {r["signature_algorithm"] for r in log["requests"]} == {"RPC-V1-HMAC-SHA1"}
    assert log["counts"]["CreateFlow"] == 6 and log["counts"]["ListFlows"] == 3


def test_official_sdk_schedules(emulator_url: str, control) -> None:  # type: ignore
    _client_class, m, _config_class = _sdk()
    control.create_flow("sdk_flow")
    client = make_client(emulator_url)
    created = client.create_schedule(m.CreateScheduleRequest(
        flow_name="sdk_flow", schedule_name="nightly",
        cron_expression="CRON_TZ=Asia/Shanghai 0 30 4 ? * MON-FRI",
        payload='{"text": "é ☕ a+b&c=d 100%"}', description="weekday mornings", enable=True))
    body = created.body
    assert body.schedule_name == "nightly" and body.enable is True and body.schedule_id
    assert body.payload == '{"text": "é ☕ a+b&c=d 100%"}'
    off = client.create_schedule(m.CreateScheduleRequest(
        flow_name="sdk_flow", schedule_name="paused", cron_expression="@every 5m",
        enable=False))
    assert off.body.enable is False  # a Python False goes on the wire as "False"
    default = client.create_schedule(m.CreateScheduleRequest(
        flow_name="sdk_flow", schedule_name="default", cron_expression="0 0 * * * *"))
    assert default.body.enable is True
    conflict = _sdk_error(lambda: client.create_schedule(m.CreateScheduleRequest(
        flow_name="sdk_flow", schedule_name="nightly", cron_expression="@every 5m")))
    assert conflict.code == "ScheduleAlreadyExists" and conflict.status_code == 409
    invalid = _sdk_error(lambda: client.create_schedule(m.CreateScheduleRequest(
        flow_name="sdk_flow", schedule_name="bad", cron_expression="* * * * * *")))
    assert invalid.code == "InvalidArgument" and invalid.status_code == 400

    updated = client.update_schedule(m.UpdateScheduleRequest(
        flow_name="sdk_flow", schedule_name="paused", enable=True))
    assert updated.body.enable is True and updated.body.cron_expression == "@every 5m"
    client.update_schedule(m.UpdateScheduleRequest(
        flow_name="sdk_flow", schedule_name="nightly", enable=False, description="off"))
    described = client.describe_schedule(m.DescribeScheduleRequest(
        flow_name="sdk_flow", schedule_name="nightly"))
    assert described.body.enable is False and described.body.description == "off"
    assert described.body.cron_expression == "CRON_TZ=Asia/Shanghai 0 30 4 ? * MON-FRI"

    names, token = [], None
    while True:
        page = client.list_schedules(m.ListSchedulesRequest(flow_name="sdk_flow", limit=2,
                                                            next_token=token))
        names.extend(s.schedule_name for s in page.body.schedules)
        token = page.body.next_token
        if not token:
            break
    assert names == ["default", "nightly", "paused"]

    client.delete_schedule(m.DeleteScheduleRequest(flow_name="sdk_flow", schedule_name="paused"))
    missing = _sdk_error(lambda: client.describe_schedule(m.DescribeScheduleRequest(
        flow_name="sdk_flow", schedule_name="paused")))
    assert missing.code == "ScheduleNotExists" and missing.status_code == 404
    fired = control.fire_schedules()
    assert [f["schedule_name"] for f in fired["fired"]] == ["default"]
    log = control.requests()
    assert log["counts"]["CreateSchedule"] == 5 and log["counts"]["UpdateSchedule"] == 2
    assert all(r["schedule_name"] for r in log["requests"] if r["action"] != "ListSchedules")
    assert log["write_count"] == 8


def test_official_sdk_versions_and_aliases(emulator_url: str, control) -> None:  # type: ignore
    """Every version and alias action, Qualifier and FlowVersion through the SDK's typed
    request models, every answer parsed into its response models."""
    _client_class, m, _config_class = _sdk()
    control.configure(quotas_enabled=False, routing_seed=5)
    client = make_client(emulator_url)
    first_definition = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: one\n"
    second_definition = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: two\n"
    client.create_flow(m.CreateFlowRequest(name="sdk_flow", definition=first_definition,
                                           description="made by the SDK", type="FDL"))
    published = client.publish_flow_version(m.PublishFlowVersionRequest(
        flow_name="sdk_flow", description="first: é ☕ a+b&c=d 100%"))
    assert isinstance(published.body, m.PublishFlowVersionResponseBody)
    assert (published.body.flow_name, published.body.version) == ("sdk_flow", "1")
    assert published.body.description == "first: é ☕ a+b&c=d 100%"
    assert published.body.created_time and published.body.request_id
    client.update_flow(m.UpdateFlowRequest(name="sdk_flow", definition=second_definition))
    assert client.publish_flow_version(m.PublishFlowVersionRequest(
        flow_name="sdk_flow")).body.version == "2"
    assert client.publish_flow_version(m.PublishFlowVersionRequest(
        flow_name="sdk_flow")).body.version == "3"

    versions, token = [], None
    while True:
        page = client.list_flow_versions(m.ListFlowVersionsRequest(
            flow_name="sdk_flow", limit="2", next_token=token))  # Limit is a str in the model
        assert all(isinstance(v, m.ListFlowVersionsResponseBodyFlowVersions)
                   for v in page.body.flow_versions)
        versions.extend((v.version, v.description) for v in page.body.flow_versions)
        token = page.body.next_token
        if not token:
            break
    assert versions == [("1", "first: é ☕ a+b&c=d 100%"), ("2", ""), ("3", "")]
    old = client.describe_flow(m.DescribeFlowRequest(name="sdk_flow", flow_version="1"))
    assert old.body.definition == first_definition and old.body.name == "sdk_flow"
    deleted = client.delete_flow_version(m.DeleteFlowVersionRequest(flow_name="sdk_flow",
                                                                    flow_version="3"))
    assert isinstance(deleted.body, m.DeleteFlowVersionResponseBody) and deleted.body.request_id
    gone = _sdk_error(lambda: client.describe_flow(m.DescribeFlowRequest(
        name="sdk_flow", flow_version="3")))
    assert gone.code == "FlowVersionNotExists" and gone.status_code == 404

    created = client.create_flow_alias(m.CreateFlowAliasRequest(
        flow_name="sdk_flow", name="prod", description="production ☕",
        routing_configurations=[
            m.CreateFlowAliasRequestRoutingConfigurations(version="1", weight=80),
            m.CreateFlowAliasRequestRoutingConfigurations(version="2", weight=20)]))
    body = created.body
    assert isinstance(body, m.CreateFlowAliasResponseBody)
    assert (body.flow_name, body.name, body.description) == ("sdk_flow", "prod", "production ☕")
    assert [(r.version, r.weight) for r in body.routing_configurations] == [("1", 80), ("2", 20)]
    assert body.created_time
    conflict = _sdk_error(lambda: client.create_flow_alias(m.CreateFlowAliasRequest(
        flow_name="sdk_flow", name="prod", routing_configurations=[
            m.CreateFlowAliasRequestRoutingConfigurations(version="1", weight=100)])))
    assert conflict.code == "FlowAliasAlreadyExists" and conflict.status_code == 409
    uneven = _sdk_error(lambda: client.create_flow_alias(m.CreateFlowAliasRequest(
        flow_name="sdk_flow", name="uneven", routing_configurations=[
            m.CreateFlowAliasRequestRoutingConfigurations(version="1", weight=30)])))
    assert uneven.code == "InvalidArgument" and uneven.status_code == 400

    updated = client.update_flow_alias(m.UpdateFlowAliasRequest(
        flow_name="sdk_flow", name="prod", routing_configurations=[
            m.UpdateFlowAliasRequestRoutingConfigurations(version="1", weight=50),
            m.UpdateFlowAliasRequestRoutingConfigurations(version="2", weight=50)]))
    alias = updated.body.alias
    assert isinstance(alias, m.UpdateFlowAliasResponseBodyAlias)
    assert alias.name == "prod" and alias.description == "production ☕"
    routes = [(r.version, r.weight) for r in alias.routing_configurations]
    assert routes == [("1", 50), ("2", 50)]
    described = client.describe_flow_alias(m.DescribeFlowAliasRequest(flow_name="sdk_flow",
                                                                      name="prod"))
    assert isinstance(described.body.alias, m.DescribeFlowAliasResponseBodyAlias)
    assert described.body.alias.created_time == body.created_time
    assert [r.weight for r in described.body.alias.routing_configurations] == [50, 50]
    client.create_flow_alias(m.CreateFlowAliasRequest(
        flow_name="sdk_flow", name="canary", routing_configurations=[
            m.CreateFlowAliasRequestRoutingConfigurations(version="2", weight=100)]))
    aliases, token = [], None
    while True:
        page = client.list_flow_aliases(m.ListFlowAliasesRequest(flow_name="sdk_flow", limit=1,
                                                                 next_token=token))
        aliases.extend(page.body.aliases)
        token = page.body.next_token
        if not token:
            break
    assert all(isinstance(a, m.ListFlowAliasesResponseBodyAliases) for a in aliases)
    assert [a.name for a in aliases] == ["canary", "prod"]
    # ListFlowAliases answers Weight as a string, as its model (weight: str) says
    assert [(r.version, r.weight) for r in aliases[1].routing_configurations] == [
        ("1", "50"), ("2", "50")]

    pinned = client.start_execution(m.StartExecutionRequest(
        flow_name="sdk_flow", execution_name="pinned", qualifier="1"))
    assert pinned.body.flow_definition == first_definition
    for index in range(6):
        client.start_execution(m.StartExecutionRequest(
            flow_name="sdk_flow", execution_name="routed%d" % index, qualifier="prod"))
    ran = {e["Name"]: e["flow_version"] for e in control.executions("sdk_flow")}
    by_prod = client.list_executions(m.ListExecutionsRequest(flow_name="sdk_flow",
                                                             qualifier="prod"))
    assert sorted(e.name for e in by_prod.body.executions) == ["routed%d" % i for i in range(6)]
    by_one = client.list_executions(m.ListExecutionsRequest(flow_name="sdk_flow",
                                                            qualifier="1"))
    assert sorted(e.name for e in by_one.body.executions) == sorted(
        name for name, version in ran.items() if version == "1")
    assert {e.flow_definition for e in by_one.body.executions} == {first_definition}
    unknown = _sdk_error(lambda: client.start_execution(m.StartExecutionRequest(
        flow_name="sdk_flow", qualifier="nosuchalias")))
    assert unknown.code == "FlowAliasNotExists" and unknown.status_code == 404

    in_use = _sdk_error(lambda: client.delete_flow_version(m.DeleteFlowVersionRequest(
        flow_name="sdk_flow", flow_version="2")))
    assert in_use.code == "FlowVersionInUse" and in_use.status_code == 409
    removed = client.delete_flow_alias(m.DeleteFlowAliasRequest(flow_name="sdk_flow",
                                                                name="canary"))
    assert isinstance(removed.body, m.DeleteFlowAliasResponseBody) and removed.body.request_id
    missing = _sdk_error(lambda: client.describe_flow_alias(m.DescribeFlowAliasRequest(
        flow_name="sdk_flow", name="canary")))
    assert missing.code == "FlowAliasNotExists" and missing.status_code == 404

    log = control.requests()
    assert {r["signature_algorithm"] for r in log["requests"]} == {"RPC-V1-HMAC-SHA1"}
    methods = {r["action"]: r["method"] for r in log["requests"]}
    assert {action: methods[action] for action in (
        "PublishFlowVersion", "DeleteFlowVersion", "CreateFlowAlias", "UpdateFlowAlias",
        "DeleteFlowAlias", "ListFlowVersions", "DescribeFlowAlias", "ListFlowAliases")} == {
        "PublishFlowVersion": "POST", "DeleteFlowVersion": "POST", "CreateFlowAlias": "POST",
        "UpdateFlowAlias": "POST", "DeleteFlowAlias": "POST", "ListFlowVersions": "GET",
        "DescribeFlowAlias": "GET", "ListFlowAliases": "GET"}
    create_alias = [r for r in log["requests"] if r["action"] == "CreateFlowAlias"][0]
    assert create_alias["param_names"] == ["Description", "FlowName", "Name",
                                           "RoutingConfigurations"]
