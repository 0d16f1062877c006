# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import WaitTimeout
from ansible_collections.seed.cloudflow.plugins.module_utils._module import (
    CloudFlowModule,
    check_length,
    check_name,
    connection_argument_spec,
    json_object_text,
    rfc3339_time,
)
from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_execution
from ansible_collections.seed.cloudflow.plugins.modules.cloudflow_execution import argument_spec, check_options

FLOW = "flow"


def params(**given: t.Any) -> dict[str, t.Any]:
    """Module params as AnsibleModule would hand them over: every option present, defaults applied."""
    spec = dict(connection_argument_spec(), **argument_spec())
    values = {name: option.get("default") for name, option in spec.items()}
    values.update(flow_name=FLOW, name="run-1", state="stopped")
    filters = given.pop("filters", None)
    if filters is not None:
        values["filters"] = dict({"name_prefix": None, "started_after": None, "started_before": None}, **filters)
    values.update(given)
    return values


# ---------------------------------------------------------------------------------------------
# the _module.py validators


@pytest.mark.parametrize("name", ["a", "_", "A", "run-2024_05", "_9-x", "x" * 128])
def test_check_name_accepts_the_service_rule(name: str) -> None:
    check_name("name", name)


@pytest.mark.parametrize("name", ["", "9run", "-run", "run 1", "run.1", "run/1", "r\u00fcn", "x" * 129, "run\n"])
def test_check_name_rejects_and_names_the_option(name: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_name("flow_name", name)
    assert raised.value.option == "flow_name"
    assert str(raised.value).startswith("flow_name: ")
    assert "1-128 characters" in str(raised.value)


def test_check_length_bounds_are_inclusive() -> None:
    check_length("cause", None, 1, 4096)
    check_length("cause", "c", 1, 4096)
    check_length("cause", "c" * 4096, 1, 4096)
    for value in ("", "c" * 4097):
        with pytest.raises(ConfigurationError, match=r"^cause: must be 1 to 4096 characters long; got \d+ characters"):
            check_length("cause", value, 1, 4096)


def test_json_object_text_from_a_dict_is_compact_and_sorted() -> None:
    assert json_object_text("input", {"b": 1, "a": [1, {"c": None}]}) == '{"a":[1,{"c":null}],"b":1}'
    assert json_object_text("input", {}) == "{}"
    assert json_object_text("input", None) is None


def test_json_object_text_keeps_a_json_object_string_as_given() -> None:
    text = '{ "b": 1, "a": 2 }'
    assert json_object_text("input", text) == text


@pytest.mark.parametrize("value, detail", [
    ("[1, 2]", "holds a JSON list"),
    ('"text"', "holds a JSON str"),
    ("42", "holds a JSON int"),
    ("null", "holds a JSON NoneType"),
    ("{'a': 1}", "not JSON"),
    ("", "not JSON"),
    (42, "got int"),
    ([1], "got list"),
    ({"a": {1, 2}}, "cannot be serialised as JSON"),
])
def test_json_object_text_rejects_everything_but_an_object(value: t.Any, detail: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        json_object_text("input", value)
    assert raised.value.option == "input"
    assert detail in str(raised.value)


@pytest.mark.parametrize("value, expected", [
    ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000Z"),
    ("2024-05-01T12:00:00z", "2024-05-01T12:00:00.000Z"),
    ("2024-05-01T12:00:00.123456Z", "2024-05-01T12:00:00.123Z"),
    ("2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00.000Z"),
    ("2024-05-01T00:30:00-01:00", "2024-05-01T01:30:00.000Z"),
    (" 2024-05-01T12:00:00Z ", "2024-05-01T12:00:00.000Z"),
    (None, None),
])
def test_rfc3339_time_normalises_to_utc_milliseconds(value: t.Optional[str], expected: t.Optional[str]) -> None:
    assert rfc3339_time("filters.started_after", value) == expected


@pytest.mark.parametrize("value, rule", [
    ("2024-05-01T12:00:00", "time zone"),
    ("2024-05-01", "time zone"),
    ("yesterday", "RFC 3339"),
    ("2024-13-01T00:00:00Z", "RFC 3339"),
    ("", "RFC 3339"),
])
def test_rfc3339_time_rejects_and_names_the_option(value: str, rule: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        rfc3339_time("filters.started_before", value)
    assert raised.value.option == "filters.started_before"
    assert rule in str(raised.value)


# ---------------------------------------------------------------------------------------------
# check_options


def test_check_options_accepts_valid_combinations() -> None:
    check_options(params())
    check_options(params(cause="Maintenance", error="Maint", wait=True, wait_timeout=1))
    check_options(params(state="started", input={"a": 1}))
    check_options(params(state="started", input='{"a": 1}'))
    check_options(params(name=None, filters={}))
    check_options(params(name=None, filters={"name_prefix": "nightly-", "started_after": "2024-05-01T00:00:00Z",
                                             "started_before": "2024-05-01T00:00:00Z"}, concurrency=32))


@pytest.mark.parametrize("given, option", [
    ({"flow_name": "bad flow"}, "flow_name"),
    ({"name": "x" * 129}, "name"),
    ({"state": "started", "cause": "why"}, "cause"),
    ({"state": "started", "error": "E"}, "error"),
    ({"state": "started", "name": None, "filters": {}}, "filters"),
    ({"input": {"a": 1}}, "input"),
    ({"cause": ""}, "cause"),
    ({"cause": "c" * 4097}, "cause"),
    ({"error": "e" * 129}, "error"),
    ({"wait_timeout": 0}, "wait_timeout"),
    ({"wait_timeout": -1}, "wait_timeout"),
    ({"concurrency": 0}, "concurrency"),
    ({"concurrency": 33}, "concurrency"),
    ({"name": None, "filters": {"name_prefix": "has space"}}, "filters.name_prefix"),
    ({"name": None, "filters": {"started_after": "soon"}}, "filters.started_after"),
    ({"name": None, "filters": {"started_before": "2024-05-01T00:00:00"}}, "filters.started_before"),
    ({"name": None, "filters": {"started_after": "2024-05-02T00:00:00Z", "started_before": "2024-05-01T00:00:00Z"}},
     "filters.started_after"),
])
def test_check_options_rejects_naming_the_option(given: dict[str, t.Any], option: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_options(params(**given))
    assert raised.value.option == option
    assert str(raised.value).startswith(option + ": ")


def test_invalid_input_fails_before_any_call(run_main: t.Callable[..., dict[str, t.Any]], fake_service) -> None:
    client = fake_service(FLOW, {})
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "input": "[1]"})
    assert result["failed"] and result["msg"].startswith("input: ")
    assert client.calls == []


# ---------------------------------------------------------------------------------------------
# the argument spec and check_connection_options


def test_connection_spec_defaults_and_secrets() -> None:
    spec = connection_argument_spec()
    assert spec["validate_certs"] == {"type": "bool", "default": True}
    assert spec["access_key_secret"]["no_log"] is True
    assert spec["security_token"]["no_log"] is True
    assert spec["access_key_id"]["no_log"] is False
    assert set(spec["region"]["aliases"]) == {"region_id", "alicloud_region"}
    assert set(spec["access_key_secret"]["aliases"]) == {"alicloud_secret_key", "secret_key"}


def test_validate_certs_defaults_to_true_in_a_real_module(module_args, module_exits) -> None:
    with module_args({"flow_name": FLOW, "name": "run-1", "state": "stopped"}):
        module = CloudFlowModule(argument_spec=argument_spec())
    assert module.params["validate_certs"] is True


@pytest.mark.parametrize("given, option", [
    ({"timeout": 0}, "timeout"),
    ({"timeout": -1.5}, "timeout"),
    ({"retries": -1}, "retries"),
    ({"retry_max_delay": -0.1}, "retry_max_delay"),
    ({"quota_scale": -1}, "quota_scale"),
    ({"access_key_secret": "secret-value"}, "access_key_id"),
    ({"access_key_id": "LTAI5tKey"}, "access_key_secret"),
    ({"security_token": "token-value"}, "access_key_id"),
    ({"access_key_id": "LTAI5tKey", "profile": "default"}, "access_key_secret"),
    ({"endpoint": "http://10.0.0.1"}, "endpoint"),
    ({"endpoint": "http://fnf.example.com"}, "endpoint"),
    ({"endpoint": "ftp://127.0.0.1"}, "endpoint"),
    ({"endpoint": "https://127.0.0.1/api"}, "endpoint"),
    ({"endpoint": "https://user:pw@127.0.0.1"}, "endpoint"),
    ({"endpoint": "https://127.0.0.1/?a=b"}, "endpoint"),
    ({"endpoint": "http://127.0.0.1:99999"}, "endpoint"),
])
def test_check_connection_options_rejects_naming_the_option(module_args, module_exits, given: dict[str, t.Any], option: str) -> None:
    with module_args(dict({"flow_name": FLOW, "name": "run-1", "state": "stopped"}, **given)):
        module = CloudFlowModule(argument_spec=argument_spec())
    with pytest.raises(ConfigurationError) as raised:
        module.check_connection_options()
    assert raised.value.option == option
    assert "pw" not in str(raised.value) and "secret-value" not in str(raised.value) and "token-value" not in str(raised.value)


@pytest.mark.parametrize("given", [
    {},
    {"endpoint": "http://127.0.0.1:8080"},
    {"endpoint": "http://localhost"},
    {"endpoint": "http://[::1]:9000"},
    {"endpoint": "https://cn-hangzhou.fnf.aliyuncs.com"},
    {"access_key_id": "LTAI5tKey", "access_key_secret": "s", "security_token": "t", "retries": 0, "quota_scale": 0},
])
def test_check_connection_options_accepts(module_args, module_exits, given: dict[str, t.Any]) -> None:
    with module_args(dict({"flow_name": FLOW, "name": "run-1", "state": "stopped"}, **given)):
        module = CloudFlowModule(argument_spec=argument_spec())
    module.check_connection_options()


def test_check_connection_options_checks_the_endpoint_from_the_environment(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT", "http://192.168.1.10")
    with module_args({"flow_name": FLOW, "name": "run-1", "state": "stopped"}):
        module = CloudFlowModule(argument_spec=argument_spec())
    with pytest.raises(ConfigurationError) as raised:
        module.check_connection_options()
    assert raised.value.option == "endpoint"


def test_an_invalid_option_fails_before_any_call(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "stopped", "endpoint": "http://10.0.0.1"})
    assert result["failed"]
    assert result["msg"].startswith("endpoint: ")
    assert client.calls == []


@pytest.mark.parametrize("given, words", [
    ({"name": "run-1", "filters": {}}, ("name", "filters")),
    ({}, ("name", "filters")),
    ({"name": "run-1", "state": "paused"}, ("state",)),
    ({"name": "run-1", "wait_timeout": "soon"}, ("wait_timeout",)),
])
def test_ansible_level_rules_name_the_options(run_main, fake_service, given: dict[str, t.Any], words: tuple[str, ...]) -> None:
    client = fake_service(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, dict({"flow_name": FLOW, "state": "stopped"}, **given))
    assert result["failed"]
    for word in words:
        assert word in result["msg"]
    assert client.calls == []


# ---------------------------------------------------------------------------------------------
# decisions: one execution


def stop_args(**given: t.Any) -> dict[str, t.Any]:
    return dict({"flow_name": FLOW, "name": "run-1", "state": "stopped"}, **given)


@pytest.mark.parametrize("status", ["Running", "Starting"])
def test_stop_when_in_progress(run_main, fake_service, status: str) -> None:
    client = fake_service(FLOW, {"run-1": status})
    result = run_main(cloudflow_execution.main, stop_args(cause="Maintenance", error="Maint"))
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert client.actions() == ["DescribeExecution", "StopExecution"]
    assert client.calls[1][1] == {"FlowName": FLOW, "ExecutionName": "run-1", "Cause": "Maintenance", "Error": "Maint"}
    assert result["execution"]["status"] == "Stopped"
    assert result["execution"]["name"] == "run-1" and result["execution"]["flow_name"] == FLOW


@pytest.mark.parametrize("status", ["Stopped", "Succeeded", "Failed", "TimedOut"])
def test_stop_is_a_no_op_when_terminal(run_main, fake_service, status: str) -> None:
    client = fake_service(FLOW, {"run-1": status})
    result = run_main(cloudflow_execution.main, stop_args())
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert client.actions() == ["DescribeExecution"]
    assert result["execution"]["status"] == status


def test_stop_race_is_ok_and_unchanged(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"run-1": "Running"}, race=True)
    result = run_main(cloudflow_execution.main, stop_args())
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert client.actions() == ["DescribeExecution", "StopExecution", "DescribeExecution"]
    assert result["execution"]["status"] == "Succeeded"


def test_stop_check_mode_sends_no_write(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, stop_args(_ansible_check_mode=True, _ansible_diff=True))
    assert result["changed"] is True
    assert client.writes() == []
    assert client.executions["run-1"]["Status"] == "Running"
    assert result["diff"]["before"]["status"] == "Running"
    assert result["diff"]["after"]["status"] == "Stopped"
    assert result["msg"].startswith("Would stop")


def test_stop_check_mode_of_a_finished_execution_is_unchanged(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"run-1": "Succeeded"})
    result = run_main(cloudflow_execution.main, stop_args(_ansible_check_mode=True))
    assert result["changed"] is False
    assert client.writes() == []


def test_stop_diff_reports_before_and_after(run_main, fake_service) -> None:
    fake_service(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, stop_args(_ansible_diff=True))
    assert result["diff"] == {
        "before": {"name": "run-1", "flow_name": FLOW, "status": "Running"},
        "after": {"name": "run-1", "flow_name": FLOW, "status": "Stopped"},
    }


def test_stop_of_a_missing_execution_fails_naming_it(run_main, fake_service) -> None:
    client = fake_service(FLOW, {})
    result = run_main(cloudflow_execution.main, stop_args())
    assert result["failed"]
    assert "'run-1'" in result["msg"] and "'flow'" in result["msg"]
    assert client.writes() == []


def test_stop_in_a_missing_flow_fails_naming_flow_and_execution(run_main, fake_service) -> None:
    fake_service("another-flow", {})
    result = run_main(cloudflow_execution.main, stop_args())
    assert result["failed"]
    assert "FlowNotExists" in result["msg"]
    assert "'run-1'" in result["msg"] and "'flow'" in result["msg"]
    assert result["error"]["code"] == "FlowNotExists"


def test_stop_with_wait_long_polls(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, stop_args(wait=True, wait_timeout=30))
    assert result["changed"] is True
    assert client.actions() == ["DescribeExecution", "StopExecution", "DescribeExecution"]
    # The first long-poll asks for what is left of wait_timeout (whole seconds).
    assert 29 <= client.calls[2][1]["WaitTimeSeconds"] <= 30


def test_a_failed_wait_after_a_stop_still_reports_the_change(run_main, fake_service, monkeypatch) -> None:
    fake_service(FLOW, {"run-1": "Running"})

    def time_out(client, flow_name, name, timeout):  # type: ignore[no-untyped-def]
        raise WaitTimeout(flow_name, name, timeout, "Running")

    monkeypatch.setattr(cloudflow_execution, "wait_until_finished", time_out)
    result = run_main(cloudflow_execution.main, stop_args(wait=True, wait_timeout=5))
    assert result["failed"] is True
    assert result["changed"] is True
    assert "Timed out" in result["msg"] and "Running" in result["msg"]
    assert result["execution"]["name"] == "run-1"


def test_start_when_absent(run_main, fake_service) -> None:
    client = fake_service(FLOW, {})
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "input": {"b": 2, "a": 1}})
    assert result["changed"] is True
    assert client.actions() == ["DescribeExecution", "StartExecution"]
    assert client.calls[1][1]["Input"] == '{"a":1,"b":2}'
    assert result["execution"]["input"] == {"a": 1, "b": 2}


def test_start_when_present_is_unchanged_and_warns_on_other_input(run_main, fake_service) -> None:
    client = fake_service(FLOW, {})
    client.add("run-1", "Succeeded", input_text='{"a":1}')
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "input": '{"a": 2}'})
    assert result["changed"] is False
    assert client.writes() == []
    assert any("different input" in warning for warning in result.get("warnings", []))


def test_start_when_present_with_the_same_input_does_not_warn(run_main, fake_service) -> None:
    client = fake_service(FLOW, {})
    client.add("run-1", "Running", input_text='{"a":1,"b":[1,2]}')
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "input": {"b": [1, 2], "a": 1}})
    assert result["changed"] is False
    assert not result.get("warnings")


def test_start_check_mode_sends_no_write(run_main, fake_service) -> None:
    client = fake_service(FLOW, {})
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "_ansible_check_mode": True})
    assert result["changed"] is True
    assert client.writes() == []
    assert result["execution"]["status"] is None


# ---------------------------------------------------------------------------------------------
# decisions: many executions


def bulk_args(**given: t.Any) -> dict[str, t.Any]:
    return dict({"flow_name": FLOW, "filters": {}, "state": "stopped"}, **given)


def test_bulk_stops_only_what_is_in_progress(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"a-1": "Running", "a-2": "Starting", "a-3": "Succeeded", "b-1": "Running"})
    result = run_main(cloudflow_execution.main, bulk_args(filters={"name_prefix": "a-"}, _ansible_diff=True))
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert [entry["name"] for entry in result["executions"]] == ["a-1", "a-2"]
    assert all(entry["changed"] for entry in result["executions"])
    assert sorted(params["ExecutionName"] for action, params in client.calls if action == "StopExecution") == ["a-1", "a-2"]
    assert client.executions["b-1"]["Status"] == "Running"
    assert result["diff"]["after"] == {"a-1": "Stopped", "a-2": "Stopped"}


def test_bulk_pages_through_the_listing(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"run-{0}".format(index): "Running" for index in range(7)}, page_size=3)
    result = run_main(cloudflow_execution.main, bulk_args())
    assert len(result["executions"]) == 7
    assert client.actions().count("StopExecution") == 7


def test_bulk_check_mode_sends_no_write(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"a-1": "Running", "a-2": "Failed"})
    result = run_main(cloudflow_execution.main, bulk_args(_ansible_check_mode=True))
    assert result["changed"] is True
    assert client.writes() == []
    assert [(entry["name"], entry["changed"], entry["status_after"]) for entry in result["executions"]] == [("a-1", True, "Running")]
    assert result["msg"].startswith("Would stop 1 of 1")


def test_bulk_with_nothing_in_progress_is_unchanged(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"a-1": "Succeeded"})
    result = run_main(cloudflow_execution.main, bulk_args())
    assert result["changed"] is False
    assert result["executions"] == []
    assert client.writes() == []


def test_bulk_race_is_reported_unchanged(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"a-1": "Running", "a-2": "Running"})
    client.executions["a-2"]["Status"] = "Running"
    original = client._StopExecution

    def finish_a2_first(params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        if params["ExecutionName"] == "a-2":
            client.executions["a-2"]["Status"] = "Succeeded"
        return original(params)

    client._StopExecution = finish_a2_first  # type: ignore[method-assign]
    result = run_main(cloudflow_execution.main, bulk_args())
    assert not result.get("failed"), result
    entries = {entry["name"]: entry for entry in result["executions"]}
    assert entries["a-1"]["changed"] is True
    assert entries["a-2"]["changed"] is False
    assert entries["a-2"]["status_after"] == "Succeeded"
    assert entries["a-2"]["error"] is None


def test_bulk_partial_failure_stops_the_rest_and_lists_failures(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"a-1": "Running", "a-2": "Running", "a-3": "Running"}, failing_stops=["a-2"])
    result = run_main(cloudflow_execution.main, bulk_args())
    assert result["failed"]
    assert result["failed_executions"] == ["a-2"]
    assert "a-2" in result["msg"] and "InternalServerError" in result["msg"] and "req-500" in result["msg"]
    assert "Could not stop or wait for 1 of 3" in result["msg"] and "(2 stop request(s) accepted)" in result["msg"]
    entries = {entry["name"]: entry for entry in result["executions"]}
    assert entries["a-1"]["changed"] is True and entries["a-3"]["changed"] is True
    assert entries["a-2"]["changed"] is False
    assert entries["a-2"]["error"]["code"] == "InternalServerError"
    assert client.executions["a-1"]["Status"] == "Stopped" and client.executions["a-3"]["Status"] == "Stopped"
    assert client.executions["a-2"]["Status"] == "Running"


def test_bulk_execution_gone_before_its_stop_is_not_a_failure(run_main, fake_service) -> None:
    client = fake_service(FLOW, {"a-1": "Running", "a-2": "Running"})
    original = client._StopExecution

    def delete_a1(params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        if params["ExecutionName"] == "a-1":
            client.executions.pop("a-1", None)
        return original(params)

    client._StopExecution = delete_a1  # type: ignore[method-assign]
    result = run_main(cloudflow_execution.main, bulk_args())
    assert not result.get("failed"), result
    entries = {entry["name"]: entry for entry in result["executions"]}
    assert entries["a-1"]["changed"] is False and entries["a-1"]["status_after"] is None
    assert entries["a-2"]["changed"] is True


def test_results_are_json_serialisable(run_main, fake_service) -> None:
    fake_service(FLOW, {"a-1": "Running"})
    json.dumps(run_main(cloudflow_execution.main, bulk_args(_ansible_diff=True)))
