# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module side of the connection layer: environment fallbacks in the argument spec, explicit options versus
environment-filled ones, the endpoint and region resolved before any credential source, the module's Transport
reaching STS and the metadata service, and not-found failures that carry the service's answer."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import httpx
import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _credentials, _http
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._module import OPTION_ENV, USER_AGENT, CloudFlowModule, connection_argument_spec
from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_execution, cloudflow_execution_info

FLOW = "flow"
TASK = {"flow_name": FLOW, "name": "run-1", "state": "stopped"}
ALL_ENV = sorted({name for names in OPTION_ENV.values() for name in names} | {
    "ALIBABA_CLOUD_ECS_METADATA_DISABLED", "ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_IMDSV1_DISABLED"})


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No connection variable from the machine running the tests, and a profile file under tmp_path."""
    for name in ALL_ENV:
        monkeypatch.delenv(name, raising=False)
    config_path = tmp_path / "config.json"
    monkeypatch.setattr(_credentials, "default_config_path", lambda: str(config_path))
    return config_path


def write_profiles(config_path: Path, *profiles: t.Dict[str, t.Any], current: str = "default") -> None:
    config_path.write_text(json.dumps({"current": current, "profiles": list(profiles)}), encoding="utf-8")


def ak_profile(name: str, key_id: str, region: str = "cn-shanghai", **fields: t.Any) -> t.Dict[str, t.Any]:
    return dict({"name": name, "mode": "AK", "access_key_id": key_id, "access_key_secret": "secret-" + name, "region_id": region}, **fields)


def make_module(module_args: t.Any, **given: t.Any) -> CloudFlowModule:
    with module_args(dict(TASK, **given)):
        return CloudFlowModule(argument_spec=cloudflow_execution.argument_spec())


class RecordedClients:
    """Replaces httpx.Client: every client sends through one MockTransport; their options and requests are kept."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, handler: t.Callable[[httpx.Request], httpx.Response]) -> None:
        self.options = []  # type: t.List[t.Dict[str, t.Any]]
        self.requests = []  # type: t.List[httpx.Request]
        self._handler = handler
        real_client = httpx.Client

        def build(**options: t.Any) -> httpx.Client:
            self.options.append(dict(options))
            options["transport"] = httpx.MockTransport(self._record)
            return real_client(**options)

        monkeypatch.setattr(_http.httpx, "Client", build)

    def _record(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._handler(request)


def no_request(request: httpx.Request) -> httpx.Response:
    raise AssertionError("unexpected request to {0}".format(request.url))


# --- environment fallbacks in the argument spec ------------------------------------------------


def test_every_connection_variable_is_a_spec_fallback() -> None:
    spec = connection_argument_spec()
    for option, names in OPTION_ENV.items():
        # validate-modules wants the fallback's arguments as a list.
        assert spec[option]["fallback"][1] == list(names)
    assert OPTION_ENV["region"] == ("ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION")
    assert OPTION_ENV["endpoint"] == ("ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT",)
    assert OPTION_ENV["access_key_id"] == ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY")


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
    module = make_module(module_args, **given)
    assert module.params["region"] == expected
    assert module.is_explicit("region") == bool(given)


def test_endpoint_from_the_environment_is_validated_once_and_wins_over_region(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT", "http://LOCALHOST:8443/")
    module = make_module(module_args, region="cn-hangzhou")
    module.check_connection_options()
    assert module.connection() == ("http://localhost:8443", "cn-hangzhou")
    assert module.connection() is module.connection()


def test_option_endpoint_wins_over_the_environment(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT", "http://127.0.0.1:1")
    module = make_module(module_args, endpoint="https://cn-beijing.fnf.aliyuncs.com")
    assert module.connection().endpoint == "https://cn-beijing.fnf.aliyuncs.com"


def test_env_filled_keys_are_not_explicit_options(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret-value")
    monkeypatch.setenv("ALICLOUD_SECURITY_TOKEN", "env-token-value")
    module = make_module(module_args, profile="production", secret_key="opt-secret-value")
    assert module.params["access_key_id"] == "env-id"
    assert not module.is_explicit("access_key_id")
    assert module.is_explicit("access_key_secret")  # given under its alias
    assert module.explicit_options() == {"access_key_secret": "opt-secret-value", "profile": "production"}
    # Secrets filled from the environment are masked like no_log options.
    assert module.params["security_token"] == "env-token-value" and not module.is_explicit("security_token")
    assert "env-token-value" in module.no_log_values


def test_a_half_pair_in_the_environment_is_not_blamed_on_the_options(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    module = make_module(module_args, endpoint="http://127.0.0.1:8080")
    module.check_connection_options()
    RecordedClients(monkeypatch, no_request)
    with pytest.raises(ConfigurationError) as raised:
        module.client()
    assert raised.value.option == "ALIBABA_CLOUD_ACCESS_KEY_SECRET"


# --- credential precedence through the module ---------------------------------------------------


def test_explicit_profile_option_wins_over_environment_keys(module_args, module_exits, monkeypatch, clean_environment) -> None:
    write_profiles(clean_environment, ak_profile("default", "default-id"), ak_profile("production", "production-id", region="cn-beijing"))
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    module = make_module(module_args, profile="production")
    with module.client() as client:
        assert client.credentials.access_key_id == "production-id"
        assert client.endpoint == "https://cn-beijing.fnf.aliyuncs.com"


def test_profile_from_the_environment_does_not_beat_environment_keys(module_args, module_exits, monkeypatch, clean_environment) -> None:
    write_profiles(clean_environment, ak_profile("default", "default-id"), ak_profile("production", "production-id"))
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "production")
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "old-env-id")
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", "old-env-secret")
    module = make_module(module_args)
    assert module.params["profile"] == "production" and not module.is_explicit("profile")
    with module.client() as client:
        assert client.credentials.access_key_id == "old-env-id"
        # The region still comes from the profile the environment selected.
        assert client.endpoint == "https://cn-shanghai.fnf.aliyuncs.com"


def test_explicit_keys_win_over_an_explicit_profile(module_args, module_exits, clean_environment) -> None:
    write_profiles(clean_environment, ak_profile("production", "production-id"))
    module = make_module(module_args, profile="production", access_key_id="opt-id", access_key_secret="opt-secret")
    with module.client() as client:
        assert client.credentials.access_key_id == "opt-id"


def test_keys_never_pair_across_environment_families(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "new-id")
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "old-id")
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", "old-secret")
    module = make_module(module_args, region="cn-hangzhou")
    with pytest.raises(ConfigurationError) as raised:
        module.client()
    assert raised.value.option == "ALIBABA_CLOUD_ACCESS_KEY_SECRET"


# --- a missing region fails before any credential source is asked -------------------------------


def test_missing_region_fails_before_sts_or_metadata(module_args, module_exits, monkeypatch, clean_environment) -> None:
    # A RamRoleArn profile without region_id (STS would be asked) and no ECS metadata switch (the metadata service would be).
    write_profiles(clean_environment, ak_profile("default", "source-id", region="", mode="RamRoleArn", ram_role_arn="acs:ram::1:role/x"))
    clients = RecordedClients(monkeypatch, no_request)
    module = make_module(module_args)
    module.check_connection_options()
    with pytest.raises(ConfigurationError) as raised:
        module.client()
    assert raised.value.option == "region"
    assert "ALIBABA_CLOUD_REGION_ID" in str(raised.value) and "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT" in str(raised.value)
    assert clients.requests == [] and clients.options == []


def test_missing_region_fails_before_the_metadata_service(module_args, module_exits, monkeypatch) -> None:
    clients = RecordedClients(monkeypatch, no_request)
    module = make_module(module_args)
    with pytest.raises(ConfigurationError):
        module.client()
    assert clients.requests == []


def test_the_profile_region_is_enough(module_args, module_exits, clean_environment) -> None:
    write_profiles(clean_environment, ak_profile("default", "default-id", region="ap-southeast-1"))
    module = make_module(module_args)
    assert module.connection() == ("https://ap-southeast-1.fnf.aliyuncs.com", "ap-southeast-1")


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
    with module.client() as client:
        assert client.credentials.access_key_id == "STS.RoleKeyId"
    (request,) = clients.requests
    assert request.url.host == "sts.aliyuncs.com"
    assert request.extensions["timeout"] == {"connect": 11, "read": 11, "write": 11, "pool": 11}
    assert request.headers["user-agent"] == USER_AGENT
    # STS and the API share the module's https client, built once with its certificate option.
    assert [options["verify"] for options in clients.options] == [validate_certs]
    assert "RoleSecret" in module.no_log_values and "RoleToken" in module.no_log_values


def test_module_options_reach_the_metadata_service(module_args, module_exits, monkeypatch) -> None:
    clients = RecordedClients(monkeypatch, sts_and_metadata)
    module = make_module(module_args, region="cn-hangzhou", timeout=13)
    with module.client() as client:
        assert client.credentials.access_key_id == "STS.Ecs"
        assert client.timeout == 13
    assert [request.url.path for request in clients.requests] == [
        "/latest/api/token", "/latest/meta-data/ram/security-credentials/", "/latest/meta-data/ram/security-credentials/EcsRole"]
    for request in clients.requests:
        assert request.url.host == "100.100.100.200"
        assert request.extensions["timeout"] == {"connect": 1.0, "read": 13, "write": 13, "pool": 13}
        assert request.headers["user-agent"] == USER_AGENT


# --- not-found failures carry the service's answer -----------------------------------------------


def test_stopping_a_missing_execution_carries_the_error(run_main, fake_service) -> None:
    client = fake_service(FLOW, {})
    result = run_main(cloudflow_execution.main, dict(TASK))
    assert result["failed"]
    assert result["error"] == {
        "action": "DescribeExecution", "http_status": 400, "code": "ExecutionNotExists",
        "message": "execution does not exist", "request_id": "req-missing",
    }
    assert "'run-1'" in result["msg"] and "'flow'" in result["msg"] and "does not exist" in result["msg"]
    assert "req-missing" in result["msg"]
    assert client.writes() == []


def test_reading_a_missing_execution_is_empty_not_a_failure(run_main, fake_service) -> None:
    fake_service(FLOW, {})
    result = run_main(cloudflow_execution_info.main, {"flow_name": FLOW, "name": "run-1"})
    assert not result.get("failed") and result["executions"] == []


@pytest.mark.parametrize("args", [{"flow_name": "missing"}, {"flow_name": "missing", "name": "run-1"}])
def test_reading_a_missing_flow_carries_the_error(run_main, fake_service, args) -> None:
    fake_service(FLOW, {})
    result = run_main(cloudflow_execution_info.main, args)
    assert result["failed"]
    assert result["error"]["code"] == "FlowNotExists" and result["error"]["request_id"] == "req-flow"
    assert result["error"]["action"] == ("DescribeExecution" if "name" in args else "ListExecutions")
