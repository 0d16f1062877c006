# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module side of the connection layer: options that the environment fills late and once (_connection.resolve),
explicit options winning over the environment, the endpoint and region resolved before any credential source, the
module's Transport reaching STS and the metadata service, and not-found failures that carry the service's answer."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import httpx
import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _connection, _module
from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import ENV_KEY_FAMILIES, ENV_REGION_NAMES, Credentials
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule
from ansible_collections.seed.cloudflow.plugins.module_utils._transport import USER_AGENT
from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_execution, cloudflow_execution_info
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow
from ansible_collections.seed.cloudflow.tests.unit.plugins.mock_http import RecordedClients

FLOW = "flow"
TASK = {"flow_name": FLOW, "name": "run-1", "state": "stopped"}
LOOPBACK = "http://127.0.0.1:9"


def write_profiles(config_path: Path, *profiles: t.Dict[str, t.Any], current: str = "default") -> None:
    config_path.write_text(json.dumps({"current": current, "profiles": list(profiles)}), encoding="utf-8")


def ak_profile(name: str, key_id: str, region: str = "cn-shanghai", **fields: t.Any) -> t.Dict[str, t.Any]:
    return dict({"name": name, "mode": "AK", "access_key_id": key_id, "access_key_secret": "secret-" + name, "region_id": region}, **fields)


def make_module(module_args: t.Any, **given: t.Any) -> CloudFlowModule:
    with module_args(dict(TASK, **given)):
        return CloudFlowModule(argument_spec=cloudflow_execution.argument_spec())


def resolved(module_args: t.Any, **given: t.Any) -> _connection.Connection:
    return _connection.resolve(make_module(module_args, **given).params)


def no_request(request: httpx.Request) -> httpx.Response:
    raise AssertionError("unexpected request to {0}".format(request.url))


@pytest.fixture
def metadata_service_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ECS metadata step is not switched off (the unit tests' default): the chain would ask it."""
    monkeypatch.delenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", raising=False)


# --- the environment fills unset options late, in _connection.resolve ------------------------------


def test_the_spec_has_no_environment_fallbacks_and_resolve_reads_each_variable() -> None:
    spec = _connection.argument_spec()
    assert [option for option, settings in spec.items() if "fallback" in settings] == []
    assert ENV_REGION_NAMES == ("ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION")
    assert _connection.ENDPOINT_ENV == "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT"
    assert [names[0] for names in ENV_KEY_FAMILIES] == ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY"]


@pytest.mark.parametrize("given, environ, expected", [
    ({"region": "cn-beijing"}, {"ALIBABA_CLOUD_REGION_ID": "cn-shenzhen", "ALICLOUD_REGION": "us-west-1"}, "cn-beijing"),
    ({"alicloud_region": "cn-beijing"}, {"ALIBABA_CLOUD_REGION_ID": "cn-shenzhen"}, "cn-beijing"),
    ({}, {"ALIBABA_CLOUD_REGION_ID": "cn-shenzhen", "ALICLOUD_REGION": "us-west-1"}, "cn-shenzhen"),
    ({}, {"ALICLOUD_REGION": "us-west-1"}, "us-west-1"),
    # An exported but empty variable does not hide the next one.
    ({}, {"ALIBABA_CLOUD_REGION_ID": "", "ALICLOUD_REGION": "us-west-1"}, "us-west-1"),
    ({}, {}, None),
])
def test_region_precedence(module_args, module_exits, monkeypatch, given, environ, expected) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    module = make_module(module_args, endpoint=LOOPBACK, **given)
    # The option holds what the task set, never a value from the environment.
    assert module.params["region"] == ("cn-beijing" if given else None)
    assert _connection.resolve(module.params).region == expected


def test_endpoint_from_the_environment_is_validated_once_and_wins_over_region(run_main, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT", "http://LOCALHOST:8443/")
    resolutions: list[_connection.Connection] = []
    opened: list[_connection.Connection] = []
    real_resolve = _connection.resolve

    def counting_resolve(params: t.Mapping[str, t.Any], *args: t.Any, **kwargs: t.Any) -> _connection.Connection:
        resolutions.append(real_resolve(params, *args, **kwargs))
        return resolutions[-1]

    service = FakeCloudFlow()
    service.add_execution(FLOW, "run-1", "Succeeded")

    def open_client(module: CloudFlowModule, connection: _connection.Connection) -> FakeCloudFlow:
        opened.append(connection)
        return service

    monkeypatch.setattr(_connection, "resolve", counting_resolve)
    monkeypatch.setattr(_module, "open_client", open_client)
    result = run_main(cloudflow_execution.main, dict(TASK, region="cn-hangzhou"))
    assert not result.get("failed"), result
    (connection,) = resolutions
    assert (connection.endpoint, connection.region) == ("http://localhost:8443", "cn-hangzhou")
    # The client is opened with the connection as it was resolved, once.
    assert opened == [connection] and opened[0] is connection


def test_option_endpoint_wins_over_the_environment(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT", "http://127.0.0.1:1")
    assert resolved(module_args, endpoint="https://cn-beijing.fnf.aliyuncs.com").endpoint == "https://cn-beijing.fnf.aliyuncs.com"


def test_environment_keys_do_not_fill_the_options_and_lose_to_a_profile(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret-value")
    monkeypatch.setenv("ALICLOUD_SECURITY_TOKEN", "env-token-value")
    module = make_module(module_args, endpoint=LOOPBACK, profile="production")
    assert (module.params["access_key_id"], module.params["access_key_secret"], module.params["security_token"]) == (None, None, None)
    connection = _connection.resolve(module.params)
    assert connection.keys is None and connection.profile == "production"


def test_keys_given_under_their_aliases_are_the_options(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret-value")
    connection = resolved(module_args, endpoint=LOOPBACK, access_key="opt-id", secret_key="opt-secret-value")
    assert connection.keys == Credentials("opt-id", "opt-secret-value", None, "module options")


def test_secrets_from_the_environment_are_masked(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret-value")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token-value")
    clients = RecordedClients(monkeypatch, no_request)
    module = make_module(module_args, endpoint=LOOPBACK)
    with _module.open_client(module, _connection.resolve(module.params)) as client:
        assert client.credentials.access_key_id == "env-id"
    # Filled from the environment, not from a no_log option: masked all the same.
    assert {"env-secret-value", "env-token-value"} <= module.no_log_values
    assert clients.requests == []


def test_a_half_pair_in_the_environment_is_not_blamed_on_the_options(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    with pytest.raises(ConfigurationError) as raised:
        resolved(module_args, endpoint="http://127.0.0.1:8080")
    assert raised.value.option == "ALIBABA_CLOUD_ACCESS_KEY_SECRET"


# --- credential precedence through the module ---------------------------------------------------


def test_explicit_profile_option_wins_over_environment_keys(module_args, module_exits, monkeypatch, clean_environment) -> None:
    write_profiles(clean_environment, ak_profile("default", "default-id"), ak_profile("production", "production-id", region="cn-beijing"))
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    module = make_module(module_args, profile="production")
    with _module.open_client(module, _connection.resolve(module.params)) as client:
        assert client.credentials.access_key_id == "production-id"
        assert client.endpoint == "https://cn-beijing.fnf.aliyuncs.com"


def test_profile_from_the_environment_does_not_beat_environment_keys(module_args, module_exits, monkeypatch, clean_environment) -> None:
    write_profiles(clean_environment, ak_profile("default", "default-id"), ak_profile("production", "production-id"))
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "production")
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "old-env-id")
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", "old-env-secret")
    module = make_module(module_args)
    connection = _connection.resolve(module.params)
    assert module.params["profile"] is None and connection.profile == "production"
    with _module.open_client(module, connection) as client:
        assert client.credentials.access_key_id == "old-env-id"
        # The region still comes from the profile the environment selected.
        assert client.endpoint == "https://cn-shanghai.fnf.aliyuncs.com"


def test_explicit_keys_win_over_an_explicit_profile(module_args, module_exits, clean_environment) -> None:
    write_profiles(clean_environment, ak_profile("production", "production-id"))
    module = make_module(module_args, profile="production", access_key_id="opt-id", access_key_secret="opt-secret")
    with _module.open_client(module, _connection.resolve(module.params)) as client:
        assert client.credentials.access_key_id == "opt-id"


def test_keys_never_pair_across_environment_families(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "new-id")
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "old-id")
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", "old-secret")
    with pytest.raises(ConfigurationError) as raised:
        resolved(module_args, region="cn-hangzhou")
    assert raised.value.option == "ALIBABA_CLOUD_ACCESS_KEY_SECRET"


# --- a missing region fails before any credential source is asked -------------------------------


def test_missing_region_fails_before_sts_or_metadata(run_main, monkeypatch, clean_environment, metadata_service_allowed) -> None:
    # A RamRoleArn profile without region_id (STS would be asked) and the ECS metadata step allowed (it would be asked).
    write_profiles(clean_environment, ak_profile("default", "source-id", region="", mode="RamRoleArn", ram_role_arn="acs:ram::1:role/x"))
    clients = RecordedClients(monkeypatch, no_request)
    result = run_main(cloudflow_execution.main, dict(TASK))
    assert result["failed"] and result["msg"].startswith("region: ")
    assert "ALIBABA_CLOUD_REGION_ID" in result["msg"] and "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT" in result["msg"]
    assert clients.requests == [] and clients.options == []


def test_missing_region_fails_before_the_metadata_service(run_main, monkeypatch, metadata_service_allowed) -> None:
    clients = RecordedClients(monkeypatch, no_request)
    result = run_main(cloudflow_execution.main, dict(TASK))
    assert result["failed"] and result["msg"].startswith("region: ")
    assert clients.requests == []


def test_the_profile_region_is_enough(module_args, module_exits, clean_environment) -> None:
    write_profiles(clean_environment, ak_profile("default", "default-id", region="ap-southeast-1"))
    connection = resolved(module_args)
    assert (connection.endpoint, connection.region) == ("https://ap-southeast-1.fnf.aliyuncs.com", "ap-southeast-1")


# --- the module's options reach STS and the metadata service ------------------------------------


def sts_and_metadata(request: httpx.Request) -> httpx.Response:
    if request.url.host == "sts.aliyuncs.com":
        return httpx.Response(200, json={"RequestId": "STS-OK", "Credentials": {
            "AccessKeyId": "STS.RoleKeyId", "AccessKeySecret": "RoleSecret", "SecurityToken": "RoleToken"}})
    if request.url.path == "/latest/api/token":
        return httpx.Response(200, text="metadata-token")
    if request.url.path == "/latest/meta-data/ram/security-credentials/":
        return httpx.Response(200, text="EcsRole\n")
    return httpx.Response(200, json={"Code": "Success", "AccessKeyId": "STS.Ecs", "AccessKeySecret": "EcsSecret", "SecurityToken": "EcsToken"})


@pytest.mark.parametrize("validate_certs", [True, False])
def test_module_options_reach_sts(module_args, module_exits, monkeypatch, clean_environment, validate_certs) -> None:
    write_profiles(clean_environment, ak_profile("default", "source-id", mode="RamRoleArn", ram_role_arn="acs:ram::1:role/x"))
    clients = RecordedClients(monkeypatch, sts_and_metadata)
    module = make_module(module_args, timeout=11, validate_certs=validate_certs)
    with _module.open_client(module, _connection.resolve(module.params)) as client:
        assert client.credentials.access_key_id == "STS.RoleKeyId"
    (request,) = clients.requests
    assert request.url.host == "sts.aliyuncs.com"
    assert request.extensions["timeout"] == {"connect": 11, "read": 11, "write": 11, "pool": 11}
    assert request.headers["user-agent"] == USER_AGENT
    # STS and the API share the module's https client, built once with its certificate option.
    assert [options["verify"] for options in clients.options] == [validate_certs]
    assert "RoleSecret" in module.no_log_values and "RoleToken" in module.no_log_values


def test_module_options_reach_the_metadata_service(module_args, module_exits, monkeypatch, metadata_service_allowed) -> None:
    clients = RecordedClients(monkeypatch, sts_and_metadata)
    module = make_module(module_args, region="cn-hangzhou", timeout=13)
    with _module.open_client(module, _connection.resolve(module.params)) as client:
        assert client.credentials.access_key_id == "STS.Ecs"
        assert client.timeout == 13
    assert [request.url.path for request in clients.requests] == [
        "/latest/api/token", "/latest/meta-data/ram/security-credentials/", "/latest/meta-data/ram/security-credentials/EcsRole"]
    for request in clients.requests:
        assert request.url.host == "100.100.100.200"
        assert request.extensions["timeout"] == {"connect": 1.0, "read": 13, "write": 13, "pool": 13}
        assert request.headers["user-agent"] == USER_AGENT


# --- not-found failures carry the service's answer -----------------------------------------------


def test_stopping_a_missing_execution_carries_the_error(run_main, service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    result = run_main(cloudflow_execution.main, dict(TASK))
    assert result["failed"]
    assert result["error"] == {
        "action": "DescribeExecution", "http_status": 404, "code": "ExecutionNotExists",
        "message": "Execution run-1 for flow flow does not exist.", "request_id": "req-execution",
    }
    assert "'run-1'" in result["msg"] and "'flow'" in result["msg"] and "does not exist" in result["msg"]
    assert "req-execution" in result["msg"]
    assert service.writes() == []


def test_reading_a_missing_execution_is_empty_not_a_failure(run_main, service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    result = run_main(cloudflow_execution_info.main, {"flow_name": FLOW, "name": "run-1"})
    assert not result.get("failed") and result["executions"] == []


@pytest.mark.parametrize("args", [{"flow_name": "missing"}, {"flow_name": "missing", "name": "run-1"}])
def test_reading_a_missing_flow_carries_the_error(run_main, service: FakeCloudFlow, args) -> None:
    service.add_flow(FLOW)
    result = run_main(cloudflow_execution_info.main, args)
    assert result["failed"]
    assert result["error"]["code"] == "FlowNotExists" and result["error"]["request_id"] == "req-flow"
    assert result["error"]["action"] == ("DescribeExecution" if "name" in args else "ListExecutions")
