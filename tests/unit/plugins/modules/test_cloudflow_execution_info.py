# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_execution_info
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"


@pytest.mark.parametrize("given, option", [
    ({"flow_name": "1flow"}, "flow_name"),
    ({"flow_name": ""}, "flow_name"),
    ({"name": "a b"}, "name"),
    ({"name": "x" * 129}, "name"),
    ({"name_prefix": "pre fix"}, "name_prefix"),
    ({"started_after": "yesterday"}, "started_after"),
    ({"started_before": "2024-05-01T00:00:00"}, "started_before"),
    ({"started_after": "2024-05-02T00:00:00Z", "started_before": "2024-05-01T00:00:00Z"}, "started_after"),
    ({"status": "Paused"}, "status"),
    ({"name": "run-1", "status": "Running"}, "status"),
    ({"name": "run-1", "name_prefix": "run-"}, "name_prefix"),
    ({"name": "run-1", "started_after": "2024-05-01T00:00:00Z"}, "started_after"),
    ({"include_history": "perhaps"}, "include_history"),
    ({"qualifier": "01"}, "qualifier"),
    ({"qualifier": "a b"}, "qualifier"),
    ({"name": "run-1", "qualifier": "1"}, "qualifier"),
    ({"endpoint": "http://10.1.2.3:8080"}, "endpoint"),
    ({"timeout": 0}, "timeout"),
    ({"access_key_secret": "secret-value"}, "access_key_id"),
])
def test_invalid_arguments_fail_naming_the_option_before_any_call(run_main, service: FakeCloudFlow, given: dict[str, t.Any], option: str) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution_info.main, dict({"flow_name": FLOW}, **given))
    assert result["failed"], result
    assert option in result["msg"]
    assert "secret-value" not in result["msg"]
    assert service.calls == []


def test_read_one_by_name(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"run-1": "Running", "run-2": "Succeeded"})
    result = run_main(cloudflow_execution_info.main, {"flow_name": FLOW, "name": "run-2"})
    assert result["changed"] is False
    assert [execution["name"] for execution in result["executions"]] == ["run-2"]
    assert result["executions"][0]["status"] == "Succeeded"
    assert service.actions() == ["DescribeExecution"]


def test_read_a_missing_one_returns_nothing(run_main, service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    result = run_main(cloudflow_execution_info.main, {"flow_name": FLOW, "execution_name": "run-9"})
    assert not result.get("failed"), result
    assert result["executions"] == []


def test_a_missing_flow_fails_naming_it(run_main, service: FakeCloudFlow) -> None:
    service.add_flow("other")
    result = run_main(cloudflow_execution_info.main, {"flow_name": FLOW})
    assert result["failed"]
    assert "'flow'" in result["msg"] and "FlowNotExists" in result["msg"]


def test_list_passes_filters_and_normalises_times(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"run-1": "Running", "run-2": "Running", "other-1": "Running", "run-3": "Failed"})
    result = run_main(cloudflow_execution_info.main, {
        "flow_name": FLOW, "status": "Running", "name_prefix": "run-",
        "started_after": "2024-05-01T02:00:00+02:00", "started_before": "2024-05-01T00:59:00Z",
    })
    assert [execution["name"] for execution in result["executions"]] == ["run-1", "run-2"]
    action, params = service.calls[0]
    assert action == "ListExecutions"
    assert params["Status"] == "Running"
    assert params["ExecutionNamePrefix"] == "run-"
    assert params["StartedTimeBegin"] == "2024-05-01T00:00:00.000Z"
    assert params["StartedTimeEnd"] == "2024-05-01T00:59:00.000Z"


def test_list_pages_through_every_result(run_main, service: FakeCloudFlow) -> None:
    service.page_size = 4
    service.add_executions(FLOW, {"run-{0}".format(index): "Running" for index in range(10)})
    result = run_main(cloudflow_execution_info.main, {"flow_name": FLOW})
    assert len(result["executions"]) == 10
    assert service.actions() == ["ListExecutions"] * 3
    # NextToken as the reference documents it: the name of the execution the next page starts from.
    assert [params.get("NextToken") for _action, params in service.calls] == [None, "run-4", "run-8"]


def test_include_history(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"run-1": "Running", "run-2": "Succeeded"})
    result = run_main(cloudflow_execution_info.main, {"flow_name": FLOW, "include_history": True})
    assert service.actions().count("GetExecutionHistory") == 2
    history = result["executions"][0]["history"]
    assert history[0]["type"] == "ExecutionStarted"
    assert history[0]["event_detail"] == {"input": {}}


def test_check_mode_reads_the_same_and_changes_nothing(run_main, service: FakeCloudFlow) -> None:
    service.add_executions(FLOW, {"run-1": "Running"})
    result = run_main(cloudflow_execution_info.main, {"flow_name": FLOW, "_ansible_check_mode": True})
    assert result["changed"] is False
    assert [execution["name"] for execution in result["executions"]] == ["run-1"]
    assert service.writes() == []


def test_list_by_qualifier(run_main, service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    service.publish(FLOW)
    service.publish(FLOW)
    service.add_execution(FLOW, "pinned-1", "Running", qualifier="1")
    service.add_execution(FLOW, "routed-1", "Succeeded", qualifier="prod", flow_version="1")
    service.add_execution(FLOW, "routed-2", "Running", qualifier="prod", flow_version="2")
    service.add_execution(FLOW, "plain", "Running")
    by_version = run_main(cloudflow_execution_info.main, {"flow_name": FLOW, "qualifier": "1"})
    assert [execution["name"] for execution in by_version["executions"]] == ["pinned-1", "routed-1"]
    by_alias = run_main(cloudflow_execution_info.main, {"flow_name": FLOW, "qualifier": "prod", "status": "Running"})
    assert [execution["name"] for execution in by_alias["executions"]] == ["routed-2"]
    assert [params["Qualifier"] for params in service.sent("ListExecutions")] == ["1", "prod"]
    assert service.writes() == []
