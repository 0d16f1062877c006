# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ListExecutions / ListFlows / GetExecutionHistory paging and filters."""
from __future__ import annotations

from helpers import Api


def list_all(api: Api, **params):  # type: ignore[no-untyped-def]
    names, token, pages = [], None, 0
    while True:
        p = dict(params)
        if token:
            p["NextToken"] = token
        body = api.call("ListExecutions", p)
        pages += 1
        names.extend(e["Name"] for e in body["Executions"])
        token = body.get("NextToken")
        if not token:
            return names, pages


def test_list_executions_paging(api: Api, control) -> None:  # type: ignore
    control.configure(quotas_enabled=False)
    control.seed_executions("f1", 250, name_prefix="run-")
    first = api.call("ListExecutions", {"FlowName": "f1"})
    assert len(first["Executions"]) == 60  # default Limit
    assert first["NextToken"] == "run-0060"  # name of the first item of the next page
    names, pages = list_all(api, FlowName="f1", Limit=100)
    assert names == ["run-%04d" % i for i in range(250)]
    assert pages == 3
    names, pages = list_all(api, FlowName="f1", Limit=1, ExecutionNamePrefix="run-024")
    assert names == ["run-%04d" % i for i in range(240, 250)] and pages == 10
    last = api.call("ListExecutions", {"FlowName": "f1", "Limit": 100, "NextToken": "run-0200"})
    assert len(last["Executions"]) == 50 and "NextToken" not in last


def test_list_executions_order_and_filters(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "b", started_time="2024-01-01T00:00:02.000Z")
    control.seed_execution("f1", "a", started_time="2024-01-01T00:00:03.000Z")
    control.seed_execution("f1", "c", started_time="2024-01-01T00:00:01.000Z", status="Succeeded")
    control.seed_execution("f1", "d", started_time="2024-01-01T00:00:02.000Z", status="Failed")
    names = [e["Name"] for e in api.call("ListExecutions", {"FlowName": "f1"})["Executions"]]
    assert names == ["c", "b", "d", "a"]  # StartedTime, then name
    running = api.call("ListExecutions", {"FlowName": "f1", "Status": "Running"})["Executions"]
    assert [e["Name"] for e in running] == ["b", "a"]
    window = api.call("ListExecutions", {"FlowName": "f1",
                                         "StartedTimeBegin": "2024-01-01T00:00:02Z",
                                         "StartedTimeEnd": "2024-01-01T00:00:02.500Z"})
    assert [e["Name"] for e in window["Executions"]] == ["b", "d"]
    page = api.call("ListExecutions", {"FlowName": "f1", "Status": "Running", "Limit": 1})
    assert page["NextToken"] == "a"
    page = api.call("ListExecutions", {"FlowName": "f1", "Status": "Running", "Limit": 1,
                                       "NextToken": "a"})
    assert [e["Name"] for e in page["Executions"]] == ["a"] and "NextToken" not in page
    one = api.call("ListExecutions", {"FlowName": "f1", "Status": "Failed"})["Executions"][0]
    assert one["Status"] == "Failed" and one["StoppedTime"]


def test_history_paging(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    control.finish("f1", "e1", "Succeeded")
    full = api.call("GetExecutionHistory", {"FlowName": "f1", "ExecutionName": "e1"})["Events"]
    assert len(full) == 4
    events, token = [], None
    while True:
        params = {"FlowName": "f1", "ExecutionName": "e1", "Limit": 1}
        if token:
            params["NextToken"] = token
        body = api.call("GetExecutionHistory", params)
        events.extend(body["Events"])
        token = body.get("NextToken")
        if not token:
            break
    assert events == full


def test_list_flows_paging(api: Api, control) -> None:  # type: ignore
    for i in range(5):
        control.create_flow("flow%d" % i)
    body = api.call("ListFlows", {"Limit": 2})
    assert [f["Name"] for f in body["Flows"]] == ["flow0", "flow1"]
    assert body["NextToken"] == "flow2"
    body = api.call("ListFlows", {"Limit": 2, "NextToken": "flow4"})
    assert [f["Name"] for f in body["Flows"]] == ["flow4"] and "NextToken" not in body
