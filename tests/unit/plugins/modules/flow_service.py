# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-memory stand-in for the flow actions of the service (with the executions and schedules a deletion touches)."""

from __future__ import annotations

import copy
import json
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError

READS = ("DescribeFlow", "ListFlows", "ListExecutions", "DescribeExecution", "ListSchedules", "DescribeSchedule")
IN_PROGRESS = ("Starting", "Running")


class FakeFlows:
    """Answers CloudFlowClient.call() like the service's flow actions and records every call.

    Records mirror the reference: Environment as an object, ExecutionMode "" for Standard, no ExecutionMode in the
    UpdateFlow answer. DeleteFlow is asynchronous: the flow stays readable for ``delete_reads`` more DescribeFlow calls.
    """

    def __init__(self, *, page_size: t.Optional[int] = None, delete_reads: int = 0) -> None:
        self.flows: dict[str, dict[str, t.Any]] = {}
        self.executions: dict[str, dict[str, dict[str, t.Any]]] = {}
        self.schedules: dict[str, list[str]] = {}
        self.pending_deletes: dict[str, int] = {}
        self.page_size = page_size
        self.delete_reads = delete_reads
        self.calls: list[tuple[str, dict[str, t.Any]]] = []
        self.injected: dict[str, list[ApiError]] = {}
        self.counter = 0

    def add(self, name: str, definition: str = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: one\n",
            description: str = "a flow", execution_mode: str = "", role_arn: str = "",
            environment: t.Optional[dict[str, str]] = None) -> dict[str, t.Any]:
        self.counter += 1
        flow = {
            "Name": name, "Id": "flow-id-{0}".format(self.counter), "Definition": definition, "Description": description,
            "Type": "FDL", "RoleArn": role_arn, "ExecutionMode": execution_mode,
            "Environment": {"Variables": [{"Name": key, "Value": value, "Description": ""} for key, value in (environment or {}).items()]},
            "CreatedTime": "2024-05-01T00:00:00.000Z", "LastModifiedTime": "2024-05-01T00:00:00.000Z",
        }
        self.flows[name] = flow
        self.executions.setdefault(name, {})
        self.schedules.setdefault(name, [])
        return flow

    def add_execution(self, flow: str, name: str, status: str = "Running") -> None:
        self.executions[flow][name] = {
            "Name": name, "FlowName": flow, "Status": status, "StartedTime": "2024-05-01T00:00:{0:02d}.000Z".format(len(self.executions[flow])),
            "StoppedTime": "", "Input": "{}", "Output": "",
        }

    def inject(self, action: str, error: ApiError) -> None:
        """The next call of action raises error."""
        self.injected.setdefault(action, []).append(error)

    # what the tests look at
    def actions(self) -> list[str]:
        return [action for action, _params in self.calls]

    def writes(self) -> list[str]:
        return [action for action in self.actions() if action not in READS]

    def sent(self, action: str) -> list[dict[str, t.Any]]:
        return [params for called, params in self.calls if called == action]

    # the client interface the modules use
    def __enter__(self) -> FakeFlows:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def call(self, action: str, params: t.Mapping[str, t.Any], *, read_timeout: t.Optional[float] = None) -> dict[str, t.Any]:
        given = {key: value for key, value in params.items() if value is not None}
        self.calls.append((action, given))
        if self.injected.get(action):
            raise self.injected[action].pop(0)
        return getattr(self, "_" + action)(given)

    def _flow(self, action: str, name: str) -> dict[str, t.Any]:
        flow = self.flows.get(name)
        if flow is None:
            raise ApiError(action, 404, "FlowNotExists", "Flow {0} does not exist.".format(name), "req-404")
        return flow

    def _CreateFlow(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        for required in ("Name", "Definition", "Description", "Type"):
            if not params.get(required):
                raise ApiError("CreateFlow", 400, "MissingRequiredParams", "The query '{0}' must be specified.".format(required), "req-400")
        if params["Name"] in self.flows:
            raise ApiError("CreateFlow", 409, "FlowAlreadyExists", "Flow {0} already exists.".format(params["Name"]), "req-409")
        flow = self.add(params["Name"], params["Definition"], params["Description"], params.get("ExecutionMode", ""), params.get("RoleArn", ""))
        flow["Type"] = params["Type"]
        if "Environment" in params:
            flow["Environment"] = json.loads(params["Environment"])
        return dict(copy.deepcopy(flow), RequestId="req-create")

    def _UpdateFlow(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("UpdateFlow", params["Name"])
        for field in ("Definition", "Description", "Type", "RoleArn"):
            if field in params:
                flow[field] = params[field]
        if "Environment" in params:
            flow["Environment"] = json.loads(params["Environment"])
        flow["LastModifiedTime"] = "2024-05-02T00:00:00.000Z"
        answer = copy.deepcopy(flow)
        del answer["ExecutionMode"]
        return dict(answer, RequestId="req-update")

    def _DescribeFlow(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        name = params["Name"]
        if name in self.pending_deletes:
            if self.pending_deletes[name] <= 0:
                del self.pending_deletes[name]
                del self.flows[name]
            else:
                self.pending_deletes[name] -= 1
        return dict(copy.deepcopy(self._flow("DescribeFlow", name)), RequestId="req-describe")

    def _ListFlows(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        names = sorted(self.flows)
        if params.get("NextToken"):
            names = [name for name in names if name >= params["NextToken"]]
        size = self.page_size or int(params.get("Limit") or 60)
        answer: dict[str, t.Any] = {"Flows": [copy.deepcopy(self.flows[name]) for name in names[:size]], "RequestId": "req-list"}
        if len(names) > size:
            answer["NextToken"] = names[size]
        return answer

    def _DeleteFlow(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        name = params["Name"]
        self._flow("DeleteFlow", name)
        if self.delete_reads:
            self.pending_deletes[name] = self.delete_reads
        else:
            del self.flows[name]
        return {"RequestId": "req-delete"}

    def _ListExecutions(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        self._flow("ListExecutions", params["FlowName"])
        found = [copy.deepcopy(execution) for execution in self.executions[params["FlowName"]].values()
                 if not params.get("Status") or execution["Status"] == params["Status"]]
        return {"Executions": found}

    def _StopExecution(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        execution = self.executions[params["FlowName"]][params["ExecutionName"]]
        if execution["Status"] not in IN_PROGRESS:
            raise ApiError("StopExecution", 400, "ExecutionAlreadyCompleted", "already completed", "req-done")
        execution["Status"] = "Stopped"
        return copy.deepcopy(execution)

    def _DescribeExecution(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        return copy.deepcopy(self.executions[params["FlowName"]][params["ExecutionName"]])

    def _ListSchedules(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        self._flow("ListSchedules", params["FlowName"])
        return {"Schedules": [
            {"ScheduleName": name, "ScheduleId": "id-" + name, "CronExpression": "0 0 4 * * *", "Payload": "", "Description": "",
             "Enable": True, "CreatedTime": "2024-05-01T00:00:00.000Z", "LastModifiedTime": "2024-05-01T00:00:00.000Z"}
            for name in self.schedules[params["FlowName"]]
        ]}

    def _DeleteSchedule(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        self._flow("DeleteSchedule", params["FlowName"])
        names = self.schedules[params["FlowName"]]
        if params["ScheduleName"] not in names:
            raise ApiError("DeleteSchedule", 404, "ScheduleNotExists", "no such schedule", "req-404")
        names.remove(params["ScheduleName"])
        return {"RequestId": "req-delete-schedule"}
