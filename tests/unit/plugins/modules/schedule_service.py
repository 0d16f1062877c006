# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-memory stand-in for the schedule actions of the service, for the schedule module tests."""

from __future__ import annotations

import copy
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError

READS = ("DescribeSchedule", "ListSchedules")


class FakeSchedules:
    """Answers CloudFlowClient.call() for the schedule actions of some flows and records every call.

    Replies mirror the reference: no FlowName in schedule records, Enable as a boolean, Payload as text.
    """

    def __init__(self, flows: t.Iterable[str] = ("flow",), *, page_size: t.Optional[int] = None) -> None:
        self.flows: dict[str, dict[str, dict[str, t.Any]]] = {flow: {} for flow in flows}
        self.page_size = page_size
        self.calls: list[tuple[str, dict[str, t.Any]]] = []
        self.injected: dict[str, list[ApiError]] = {}
        self.counter = 0

    def add(self, flow: str, name: str, cron: str = "0 0 4 * * *", payload: t.Optional[str] = None,
            description: str = "", enabled: bool = True) -> dict[str, t.Any]:
        self.counter += 1
        schedule = {
            "ScheduleName": name, "ScheduleId": "id-{0}".format(self.counter), "CronExpression": cron,
            "Payload": payload if payload is not None else "", "Description": description, "Enable": enabled,
            "CreatedTime": "2024-05-01T00:00:00.000Z", "LastModifiedTime": "2024-05-01T00:00:00.000Z",
        }
        self.flows[flow][name] = schedule
        return schedule

    def inject(self, action: str, error: ApiError) -> None:
        """Answer the next call of the action with this error (before applying anything)."""
        self.injected.setdefault(action, []).append(error)

    # the client interface the modules use
    def __enter__(self) -> FakeSchedules:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def actions(self) -> list[str]:
        return [action for action, _params in self.calls]

    def params(self, action: str) -> list[dict[str, t.Any]]:
        return [params for called, params in self.calls if called == action]

    def write_actions(self) -> list[str]:
        return [action for action in self.actions() if action not in READS]

    def writes(self) -> list[tuple[str, dict[str, t.Any]]]:
        return [(action, params) for action, params in self.calls if action not in READS]

    def call(self, action: str, params: t.Mapping[str, t.Any], *, read_timeout: t.Optional[float] = None) -> dict[str, t.Any]:
        self.calls.append((action, {key: value for key, value in params.items() if value is not None}))
        if self.injected.get(action):
            raise self.injected[action].pop(0)
        flow = self.flows.get(params.get("FlowName"))
        if flow is None:
            raise ApiError(action, 404, "FlowNotExists", "Flow {0} does not exist.".format(params.get("FlowName")), "req-flow")
        return getattr(self, "_" + action)(flow, params)

    def _schedule(self, action: str, flow: dict[str, dict[str, t.Any]], params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        schedule = flow.get(params["ScheduleName"])
        if schedule is None:
            raise ApiError(action, 404, "ScheduleNotExists", "The schedule {0} for flow {1} does not exist.".format(
                params["ScheduleName"], params["FlowName"]), "req-missing")
        return schedule

    def _DescribeSchedule(self, flow: dict[str, dict[str, t.Any]], params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        return dict(copy.deepcopy(self._schedule("DescribeSchedule", flow, params)), RequestId="req-describe")

    def _ListSchedules(self, flow: dict[str, dict[str, t.Any]], params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        limit = int(params.get("Limit") or 60)
        if not 1 <= limit <= 1000:
            raise ApiError("ListSchedules", 400, "InvalidArgument", "Limit out of range", "req-limit")
        size = self.page_size or limit
        names = sorted(flow)
        start = names.index(params["NextToken"]) if params.get("NextToken") else 0
        page = names[start:start + size]
        reply: dict[str, t.Any] = {"Schedules": [copy.deepcopy(flow[name]) for name in page], "RequestId": "req-list"}
        if start + size < len(names):
            reply["NextToken"] = names[start + size]
        return reply

    def _CreateSchedule(self, flow: dict[str, dict[str, t.Any]], params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        if params["ScheduleName"] in flow:
            raise ApiError("CreateSchedule", 409, "ScheduleAlreadyExists", "exists", "req-exists")
        flow_name = params["FlowName"]
        schedule = self.add(flow_name, params["ScheduleName"], params["CronExpression"], params.get("Payload"),
                            params.get("Description") or "", params.get("Enable", True))
        return dict(copy.deepcopy(schedule), RequestId="req-create")

    def _UpdateSchedule(self, flow: dict[str, dict[str, t.Any]], params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        schedule = self._schedule("UpdateSchedule", flow, params)
        for field in ("CronExpression", "Payload", "Description", "Enable"):
            if params.get(field) is not None:
                schedule[field] = params[field]
        schedule["LastModifiedTime"] = "2024-05-02T00:00:00.000Z"
        return dict(copy.deepcopy(schedule), RequestId="req-update")

    def _DeleteSchedule(self, flow: dict[str, dict[str, t.Any]], params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        self._schedule("DeleteSchedule", flow, params)
        del flow[params["ScheduleName"]]
        return {"RequestId": "req-delete"}
