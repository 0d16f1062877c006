# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _connection
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, ConfigurationError, TransportError, WaitTimeout
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule
from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_execution
from ansible_collections.seed.cloudflow.plugins.modules.cloudflow_execution import argument_spec, check_options
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"


def params(**given: t.Any) -> dict[str, t.Any]:
    """Module params as AnsibleModule would hand them over: every option present, defaults applied."""
    spec = dict(_connection.argument_spec(), **argument_spec())
    values = {name: option.get("default") for name, option in spec.items()}
    values.update(flow_name=FLOW, name="run-1", state="stopped")
    filters = given.pop("filters", None)
    if filters is not None:
        values["filters"] = dict({"name_prefix": None, "started_after": None, "started_before": None}, **filters)
    values.update(given)
    return values


# ---------------------------------------------------------------------------------------------
# check_options


def test_check_options_accepts_valid_combinations() -> None:
    check_options(params())
    check_options(params(cause="Maintenance", error="Maint", wait=True, wait_timeout=1))
    check_options(params(state="started", input={"a": 1}))
    check_options(params(state="started", input='{"a": 1}'))
    check_options(params(state="started", qualifier="3"))
    check_options(params(state="started", qualifier="production"))
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
    ({"qualifier": "1"}, "qualifier"),
    ({"state": "started", "qualifier": "01"}, "qualifier"),
    ({"state": "started", "qualifier": "2nd"}, "qualifier"),
    ({"state": "started", "qualifier": "pro d"}, "qualifier"),
    ({"state": "started", "qualifier": ""}, "qualifier"),
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


def test_invalid_input_fails_before_any_call(run_main: t.Callable[..., dict[str, t.Any]], service: FakeCloudFlow) -> None:
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "input": "[1]"})
    assert result["failed"] and result["msg"].startswith("input: ")
    assert service.calls == []


@pytest.mark.parametrize("given, option", [
    ({"concurrency": 0}, "concurrency"),
    ({"wait": True, "wait_timeout": 0}, "wait_timeout"),
    ({"filters": {"started_after": "yesterday"}}, "filters.started_after"),
])
def test_bad_bulk_arguments_fail_before_any_call(run_main, service: FakeCloudFlow, given: dict[str, t.Any], option: str) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, dict({"flow_name": FLOW, "filters": {}, "state": "stopped"}, **given))
    assert result["failed"] and result["msg"].startswith(option + ": ")
    assert service.calls == []


# ---------------------------------------------------------------------------------------------
# the connection options: the shared spec, AnsibleModule's pairing rules, _connection.resolve()


def test_connection_spec_defaults_and_secrets() -> None:
    spec = _connection.argument_spec()
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


def module_params(module_args: t.Any, given: dict[str, t.Any]) -> dict[str, t.Any]:
    with module_args(dict({"flow_name": FLOW, "name": "run-1", "state": "stopped"}, **given)):
        return CloudFlowModule(argument_spec=argument_spec()).params


@pytest.mark.parametrize("given, option", [
    ({"timeout": 0}, "timeout"),
    ({"timeout": -1.5}, "timeout"),
    ({"retries": -1}, "retries"),
    ({"retry_max_delay": -0.1}, "retry_max_delay"),
    ({"quota_scale": -1}, "quota_scale"),
    ({"endpoint": "http://10.0.0.1"}, "endpoint"),
    ({"endpoint": "http://fnf.example.com"}, "endpoint"),
    ({"endpoint": "ftp://127.0.0.1"}, "endpoint"),
    ({"endpoint": "https://127.0.0.1/api"}, "endpoint"),
    ({"endpoint": "https://user:pw@127.0.0.1"}, "endpoint"),
    ({"endpoint": "https://127.0.0.1/?a=b"}, "endpoint"),
    ({"endpoint": "http://127.0.0.1:99999"}, "endpoint"),
    ({"access_key_id": "LTAI5tKey", "access_key_secret": " ", "security_token": "token-value"}, "access_key_secret"),
])
def test_resolving_the_connection_rejects_naming_the_option(module_args, module_exits, given: dict[str, t.Any], option: str) -> None:
    params = module_params(module_args, dict({"region": "cn-hangzhou"}, **given))
    with pytest.raises(ConfigurationError) as raised:
        _connection.resolve(params)
    assert raised.value.option == option
    assert "pw" not in str(raised.value) and "secret-value" not in str(raised.value) and "token-value" not in str(raised.value)


@pytest.mark.parametrize("given, words", [
    ({"access_key_secret": "secret-value"}, ("access_key_id", "access_key_secret")),
    ({"access_key_id": "LTAI5tKey"}, ("access_key_id", "access_key_secret")),
    ({"security_token": "token-value"}, ("security_token", "access_key_id")),
    ({"access_key_id": "LTAI5tKey", "profile": "default"}, ("access_key_id", "access_key_secret")),
])
def test_half_key_pairs_are_refused_by_ansible_module_naming_the_options(module_args, module_exits, given: dict[str, t.Any],
                                                                         words: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as exited:  # conftest's ModuleExit: AnsibleModule called fail_json
        module_params(module_args, given)
    result = getattr(exited.value, "result")
    assert result["failed"]
    for word in words:
        assert word in result["msg"]
    assert "secret-value" not in result["msg"] and "token-value" not in result["msg"]


@pytest.mark.parametrize("given", [
    {},
    {"endpoint": "http://127.0.0.1:8080"},
    {"endpoint": "http://localhost"},
    {"endpoint": "http://[::1]:9000"},
    {"endpoint": "https://cn-hangzhou.fnf.aliyuncs.com"},
    {"access_key_id": "LTAI5tKey", "access_key_secret": "s", "security_token": "t", "retries": 0, "quota_scale": 0},
])
def test_resolving_the_connection_accepts(module_args, module_exits, monkeypatch, given: dict[str, t.Any]) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou")
    _connection.resolve(module_params(module_args, given))


def test_resolving_the_connection_checks_the_endpoint_from_the_environment(module_args, module_exits, monkeypatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT", "http://192.168.1.10")
    params = module_params(module_args, {})
    with pytest.raises(ConfigurationError) as raised:
        _connection.resolve(params)
    # The endpoint came from the environment: the error names the variable, not the option the task did not set.
    assert raised.value.option == "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT"


def test_an_invalid_option_fails_before_any_call(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "stopped", "endpoint": "http://10.0.0.1"})
    assert result["failed"]
    assert result["msg"].startswith("endpoint: ")
    assert service.calls == []


@pytest.mark.parametrize("given, words", [
    ({"name": "run-1", "filters": {}}, ("name", "filters")),
    ({}, ("name", "filters")),
    ({"name": "run-1", "state": "paused"}, ("state",)),
    ({"name": "run-1", "wait_timeout": "soon"}, ("wait_timeout",)),
])
def test_ansible_level_rules_name_the_options(run_main, service: FakeCloudFlow, given: dict[str, t.Any], words: tuple[str, ...]) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, dict({"flow_name": FLOW, "state": "stopped"}, **given))
    assert result["failed"]
    for word in words:
        assert word in result["msg"]
    assert service.calls == []


# ---------------------------------------------------------------------------------------------
# decisions: one execution


def stop_args(**given: t.Any) -> dict[str, t.Any]:
    return dict({"flow_name": FLOW, "name": "run-1", "state": "stopped"}, **given)


@pytest.mark.parametrize("status", ["Running", "Starting"])
def test_stop_when_in_progress(run_main, service: FakeCloudFlow, status: str) -> None:
    service.add_executions(FLOW, {"run-1": status})
    result = run_main(cloudflow_execution.main, stop_args(cause="Maintenance", error="Maint"))
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert service.actions() == ["DescribeExecution", "StopExecution"]
    assert service.calls[1][1] == {"FlowName": FLOW, "ExecutionName": "run-1", "Cause": "Maintenance", "Error": "Maint"}
    assert result["execution"]["status"] == "Stopped"
    assert result["execution"]["name"] == "run-1" and result["execution"]["flow_name"] == FLOW


@pytest.mark.parametrize("status", ["Stopped", "Succeeded", "Failed", "TimedOut"])
def test_stop_is_a_no_op_when_terminal(run_main, service: FakeCloudFlow, status: str) -> None:
    service.add_executions(FLOW, {"run-1": status})
    result = run_main(cloudflow_execution.main, stop_args())
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert service.actions() == ["DescribeExecution"]
    assert result["execution"]["status"] == status


def test_stop_race_is_ok_and_unchanged(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})
    # It finishes by itself between the module's read and its stop.
    service.meanwhile("StopExecution", lambda: service.finish(FLOW, "run-1"))
    result = run_main(cloudflow_execution.main, stop_args())
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert service.actions() == ["DescribeExecution", "StopExecution", "DescribeExecution"]
    assert result["execution"]["status"] == "Succeeded"


def test_stop_check_mode_sends_no_write(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, stop_args(_ansible_check_mode=True, _ansible_diff=True))
    assert result["changed"] is True
    assert service.writes() == []
    assert service.status(FLOW, "run-1") == "Running"
    assert result["diff"]["before"]["status"] == "Running"
    assert result["diff"]["after"]["status"] == "Stopped"
    assert result["msg"].startswith("Would stop")


def test_stop_check_mode_of_a_finished_execution_is_unchanged(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"run-1": "Succeeded"})
    result = run_main(cloudflow_execution.main, stop_args(_ansible_check_mode=True))
    assert result["changed"] is False
    assert service.writes() == []


def test_stop_diff_reports_before_and_after(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, stop_args(_ansible_diff=True))
    assert result["diff"] == {
        "before": {"name": "run-1", "flow_name": FLOW, "status": "Running"},
        "after": {"name": "run-1", "flow_name": FLOW, "status": "Stopped"},
    }


def test_stop_of_a_missing_execution_fails_naming_it(run_main, service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    result = run_main(cloudflow_execution.main, stop_args())
    assert result["failed"]
    assert "'run-1'" in result["msg"] and "'flow'" in result["msg"]
    assert service.writes() == []


def test_stop_in_a_missing_flow_fails_naming_flow_and_execution(run_main, service: FakeCloudFlow) -> None:
    service.add_flow("another-flow")
    result = run_main(cloudflow_execution.main, stop_args())
    assert result["failed"]
    assert "FlowNotExists" in result["msg"]
    assert "'run-1'" in result["msg"] and "'flow'" in result["msg"]
    assert result["error"]["code"] == "FlowNotExists"


def test_stop_with_wait_long_polls(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution.main, stop_args(wait=True, wait_timeout=30))
    assert result["changed"] is True
    assert service.actions() == ["DescribeExecution", "StopExecution", "DescribeExecution"]
    # The first long-poll asks for what is left of wait_timeout (whole seconds).
    assert 29 <= service.calls[2][1]["WaitTimeSeconds"] <= 30


def test_a_failed_wait_after_a_stop_still_reports_the_change(run_main, service: FakeCloudFlow, monkeypatch) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})

    def time_out(client, flow_name, name, timeout):  # type: ignore[no-untyped-def]
        raise WaitTimeout(flow_name, name, timeout, "Running")

    monkeypatch.setattr(cloudflow_execution, "wait_until_finished", time_out)
    result = run_main(cloudflow_execution.main, stop_args(wait=True, wait_timeout=5))
    assert result["failed"] is True
    assert result["changed"] is True
    assert "Timed out" in result["msg"] and "Running" in result["msg"]
    assert result["execution"]["name"] == "run-1"


def test_start_when_absent(run_main, service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "input": {"b": 2, "a": 1}})
    assert result["changed"] is True
    assert service.actions() == ["DescribeExecution", "StartExecution"]
    assert service.calls[1][1]["Input"] == '{"a":1,"b":2}'
    assert result["execution"]["input"] == {"a": 1, "b": 2}


def test_start_when_present_is_unchanged_and_warns_on_other_input(run_main, service: FakeCloudFlow) -> None:
    service.add_execution(FLOW, "run-1", "Succeeded", input_text='{"a":1}')
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "input": '{"a": 2}'})
    assert result["changed"] is False
    assert service.writes() == []
    assert any("different input" in warning for warning in result.get("warnings", []))


def test_start_when_present_with_the_same_input_does_not_warn(run_main, service: FakeCloudFlow) -> None:
    service.add_execution(FLOW, "run-1", "Running", input_text='{"a":1,"b":[1,2]}')
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "input": {"b": [1, 2], "a": 1}})
    assert result["changed"] is False
    assert not result.get("warnings")


def test_start_check_mode_sends_no_write(run_main, service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "_ansible_check_mode": True})
    assert result["changed"] is True
    assert service.writes() == []
    assert result["execution"]["status"] is None


@pytest.mark.parametrize("qualifier, ran", [("2", "2"), ("prod", "1")])
def test_start_with_a_qualifier_sends_it(run_main, service: FakeCloudFlow, qualifier: str, ran: str) -> None:
    service.add_flow(FLOW)
    service.publish(FLOW)
    service.publish(FLOW)
    service.add_alias(FLOW, "prod", {"1": 90, "2": 10})
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "qualifier": qualifier})
    assert result["changed"] is True and "with qualifier {0}".format(qualifier) in result["msg"]
    assert service.writes() == [("StartExecution", {"FlowName": FLOW, "ExecutionName": "run-1", "Qualifier": qualifier})]
    assert service.qualifier_of(FLOW, "run-1") == {"qualifier": qualifier, "flow_version": ran}


def test_start_with_a_qualifier_leaves_an_existing_execution_as_it_is(run_main, service: FakeCloudFlow) -> None:
    service.add_execution(FLOW, "run-1", "Running")
    service.publish(FLOW)
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "qualifier": "1"})
    assert result["changed"] is False and service.writes() == []
    assert service.qualifier_of(FLOW, "run-1") == {"qualifier": None, "flow_version": None}


def test_start_with_a_qualifier_in_check_mode_sends_no_write(run_main, service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "qualifier": "prod",
                                                 "_ansible_check_mode": True})
    assert result["changed"] is True and "with qualifier prod" in result["msg"]
    assert service.writes() == []


def test_start_with_an_unknown_version_fails_with_the_service_answer(run_main, service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    result = run_main(cloudflow_execution.main, {"flow_name": FLOW, "name": "run-1", "state": "started", "qualifier": "7"})
    assert result["failed"] and result["error"]["code"] == "FlowVersionNotExists"
    assert "Execution 'run-1' of flow 'flow'" in result["msg"]


# ---------------------------------------------------------------------------------------------
# decisions: many executions


def bulk_args(**given: t.Any) -> dict[str, t.Any]:
    return dict({"flow_name": FLOW, "filters": {}, "state": "stopped"}, **given)


def test_bulk_stops_only_what_is_in_progress(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"a-1": "Running", "a-2": "Starting", "a-3": "Succeeded", "b-1": "Running"})
    result = run_main(cloudflow_execution.main, bulk_args(filters={"name_prefix": "a-"}, _ansible_diff=True))
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert [entry["name"] for entry in result["executions"]] == ["a-1", "a-2"]
    assert all(entry["changed"] for entry in result["executions"])
    assert sorted(params["ExecutionName"] for action, params in service.calls if action == "StopExecution") == ["a-1", "a-2"]
    assert service.status(FLOW, "b-1") == "Running"
    assert result["diff"]["after"] == {"a-1": "Stopped", "a-2": "Stopped"}


def test_bulk_pages_through_the_listing(run_main, service: FakeCloudFlow) -> None:
    service.page_size = 3
    service.add_executions(FLOW, {"run-{0}".format(index): "Running" for index in range(7)})
    result = run_main(cloudflow_execution.main, bulk_args())
    assert len(result["executions"]) == 7
    assert service.actions().count("StopExecution") == 7


def test_bulk_check_mode_sends_no_write(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"a-1": "Running", "a-2": "Failed"})
    result = run_main(cloudflow_execution.main, bulk_args(_ansible_check_mode=True))
    assert result["changed"] is True
    assert service.writes() == []
    assert [(entry["name"], entry["changed"], entry["status_after"]) for entry in result["executions"]] == [("a-1", True, "Running")]
    assert result["msg"].startswith("Would stop 1 of 1")


def test_bulk_with_nothing_in_progress_is_unchanged(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"a-1": "Succeeded"})
    result = run_main(cloudflow_execution.main, bulk_args())
    assert result["changed"] is False
    assert result["executions"] == []
    assert service.writes() == []


def test_bulk_race_is_reported_unchanged(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"a-1": "Running", "a-2": "Running"})
    # a-2 finishes by itself between the listing and its stop.
    service.meanwhile("StopExecution", lambda: service.finish(FLOW, "a-2"), target="a-2")
    result = run_main(cloudflow_execution.main, bulk_args())
    assert not result.get("failed"), result
    entries = {entry["name"]: entry for entry in result["executions"]}
    assert entries["a-1"]["changed"] is True
    assert entries["a-2"]["changed"] is False
    assert entries["a-2"]["status_after"] == "Succeeded"
    assert entries["a-2"]["error"] is None


def test_bulk_partial_failure_stops_the_rest_and_lists_failures(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"a-1": "Running", "a-2": "Running", "a-3": "Running"})
    service.inject("StopExecution", ApiError("StopExecution", 500, "InternalServerError", "the service failed", "req-500", attempts=7), target="a-2")
    result = run_main(cloudflow_execution.main, bulk_args())
    assert result["failed"]
    assert result["failed_executions"] == ["a-2"]
    assert "a-2" in result["msg"] and "InternalServerError" in result["msg"] and "req-500" in result["msg"]
    assert "Could not stop or wait for 1 of 3" in result["msg"] and "(2 stop request(s) accepted)" in result["msg"]
    entries = {entry["name"]: entry for entry in result["executions"]}
    assert entries["a-1"]["changed"] is True and entries["a-3"]["changed"] is True
    assert entries["a-2"]["changed"] is False
    assert entries["a-2"]["error"]["code"] == "InternalServerError"
    assert service.status(FLOW, "a-1") == "Stopped" and service.status(FLOW, "a-3") == "Stopped"
    assert service.status(FLOW, "a-2") == "Running"


def test_bulk_execution_gone_before_its_stop_is_not_a_failure(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"a-1": "Running", "a-2": "Running"})
    # a-1's record is gone between the listing and its stop.
    service.meanwhile("StopExecution", lambda: service.forget(FLOW, "a-1"), target="a-1")
    result = run_main(cloudflow_execution.main, bulk_args())
    assert not result.get("failed"), result
    entries = {entry["name"]: entry for entry in result["executions"]}
    assert entries["a-1"]["changed"] is False and entries["a-1"]["status_after"] is None
    assert entries["a-2"]["changed"] is True


def test_results_are_json_serialisable(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"a-1": "Running"})
    json.dumps(run_main(cloudflow_execution.main, bulk_args(_ansible_diff=True)))


@pytest.mark.parametrize("args, action, subject", [
    (stop_args(), "DescribeExecution", "Execution 'run-1' of flow 'flow': "),
    (bulk_args(), "ListExecutions", "Flow 'flow': "),
])
def test_transport_failures_name_what_the_task_works_on(run_main, service: FakeCloudFlow, args: dict[str, t.Any], action: str,
                                                        subject: str) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})
    service.inject(action, TransportError(action, 7, "connection refused", endpoint="https://cn-hangzhou.fnf.aliyuncs.com"))
    result = run_main(cloudflow_execution.main, args)
    assert result["failed"] and "error" not in result
    assert result["msg"].startswith(subject + action + " failed: could not reach https://cn-hangzhou.fnf.aliyuncs.com"), result["msg"]
    assert service.write_actions() == []
