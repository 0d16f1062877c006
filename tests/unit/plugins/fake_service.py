# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-memory CloudFlow for unit tests, with a fake clock: flows, schedules and executions.

It answers CloudFlowClient.call() as the reference describes the service (error codes, paging by NextToken,
schedule records without FlowName, stops that land stop_delay fake seconds later) and records every call.
"""

from __future__ import annotations

import copy
import threading
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError

READ_PREFIXES = ("Describe", "List", "Get")
TERMINAL = ("Stopped", "Succeeded", "Failed", "TimedOut")


class FakeClock:
    """Time that moves only when the code under test sleeps (or a long-poll waits)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _page(items: list[dict[str, t.Any]], params: t.Mapping[str, t.Any], size: int) -> tuple[list[dict[str, t.Any]], t.Optional[str]]:
    start = int(params.get("NextToken") or 0)
    size = min(size, int(params.get("Limit") or size))
    end = start + size
    return [copy.deepcopy(item) for item in items[start:end]], (str(end) if end < len(items) else None)


class FakeCloudFlow:
    """The service; thread-safe, like the real one behind a client used by several threads."""

    def __init__(self, clock: t.Optional[FakeClock] = None, *, stop_delay: float = 0.0, page_size: int = 100) -> None:
        self.clock = clock or FakeClock()
        self.stop_delay = stop_delay
        self.page_size = page_size
        self.lock = threading.RLock()
        self.flows: dict[str, dict[str, t.Any]] = {}
        self.calls: list[tuple[str, dict[str, t.Any]]] = []
        # (action, target name or None) -> errors to raise, one per call
        self.injected: dict[tuple[str, t.Optional[str]], list[ApiError]] = {}
        # Called with (action, params) before each call is applied (to look at the world at that moment).
        self.before_call: t.Optional[t.Callable[[str, t.Mapping[str, t.Any]], None]] = None
        self.counter = 0

    # -- seeding ---------------------------------------------------------------------------------------------------

    def add_flow(self, name: str) -> None:
        self.flows.setdefault(name, {"schedules": {}, "executions": {}, "stop_at": {}, "finish_at": {}})

    def add_schedule(self, flow: str, name: str, cron: str = "0 0 0 1 1 ?", enabled: bool = True,
                     payload: t.Optional[str] = None, created_time: str = "2024-05-01T00:00:00.000Z") -> dict[str, t.Any]:
        self.add_flow(flow)
        self.counter += 1
        schedule = {"ScheduleName": name, "ScheduleId": "sid-{0}".format(self.counter), "CronExpression": cron,
                    "Payload": payload or "", "Description": "", "Enable": enabled, "CreatedTime": created_time,
                    "LastModifiedTime": created_time}
        self.flows[flow]["schedules"][name] = schedule
        return schedule

    def add_execution(self, flow: str, name: str, status: str = "Running", input_text: t.Optional[str] = None,
                      started_time: str = "2024-05-01T00:00:00.000Z", finish_after: t.Optional[float] = None) -> None:
        """An execution; with finish_after it succeeds by itself that many fake seconds from now."""
        self.add_flow(flow)
        self.flows[flow]["executions"][name] = {"Name": name, "FlowName": flow, "Status": status, "Input": input_text or "",
                                                "StartedTime": started_time}
        if finish_after is not None:
            self.flows[flow]["finish_at"][name] = self.clock.now + finish_after

    def inject(self, action: str, error: ApiError, target: t.Optional[str] = None, times: int = 1) -> None:
        """Answer the next `times` calls of the action (for target, the schedule or execution name) with error."""
        self.injected.setdefault((action, target), []).extend([error] * times)

    # -- observing -------------------------------------------------------------------------------------------------

    def actions(self) -> list[str]:
        return [action for action, _params in self.calls]

    def writes(self) -> list[tuple[str, dict[str, t.Any]]]:
        return [(action, params) for action, params in self.calls if not action.startswith(READ_PREFIXES)]

    def status(self, flow: str, name: str) -> str:
        with self.lock:
            self._settle()
            return str(self.flows[flow]["executions"][name]["Status"])

    def enabled(self, flow: str, name: str) -> bool:
        return bool(self.flows[flow]["schedules"][name]["Enable"])

    # -- the client interface ---------------------------------------------------------------------------------------

    def __enter__(self) -> FakeCloudFlow:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def close(self) -> None:
        pass

    def call(self, action: str, params: t.Mapping[str, t.Any], *, read_timeout: t.Optional[float] = None) -> dict[str, t.Any]:
        params = {key: value for key, value in params.items() if value is not None}
        if self.before_call is not None:
            self.before_call(action, params)
        with self.lock:
            self.calls.append((action, dict(params)))
            target = params.get("ScheduleName") or params.get("ExecutionName")
            for key in ((action, target), (action, None)):
                if self.injected.get(key):
                    raise self.injected[key].pop(0)
            self._settle()
            return getattr(self, "_" + action)(params)

    def _settle(self) -> None:
        for flow in self.flows.values():
            for table, status in (("stop_at", "Stopped"), ("finish_at", "Succeeded")):
                for name, when in list(flow[table].items()):
                    if self.clock.now >= when:
                        execution = flow["executions"][name]
                        if execution["Status"] not in TERMINAL:
                            execution["Status"] = status
                        del flow[table][name]

    def _flow(self, action: str, name: str) -> dict[str, t.Any]:
        if name not in self.flows:
            raise ApiError(action, 404, "FlowNotExists", "Flow {0} does not exist.".format(name), "req-flow")
        return self.flows[name]

    def _schedule(self, action: str, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow(action, params["FlowName"])
        schedule = flow["schedules"].get(params["ScheduleName"])
        if schedule is None:
            raise ApiError(action, 404, "ScheduleNotExists", "The schedule {0} for flow {1} does not exist.".format(
                params["ScheduleName"], params["FlowName"]), "req-schedule")
        return schedule

    def _execution(self, action: str, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow(action, params["FlowName"])
        execution = flow["executions"].get(params["ExecutionName"])
        if execution is None:
            raise ApiError(action, 404, "ExecutionNotExists", "Execution {0} for flow {1} does not exist.".format(
                params["ExecutionName"], params["FlowName"]), "req-execution")
        return execution

    def _ListFlows(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flows, token = _page([{"Name": name} for name in sorted(self.flows)], params, self.page_size)
        return {"Flows": flows, "NextToken": token}

    def _ListSchedules(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("ListSchedules", params["FlowName"])
        schedules, token = _page(list(flow["schedules"].values()), params, self.page_size)
        return {"Schedules": schedules, "NextToken": token}

    def _DescribeSchedule(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        return copy.deepcopy(self._schedule("DescribeSchedule", params))

    def _UpdateSchedule(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        schedule = self._schedule("UpdateSchedule", params)
        if "Enable" in params:
            schedule["Enable"] = str(params["Enable"]).lower() == "true" if isinstance(params["Enable"], str) else bool(params["Enable"])
        return copy.deepcopy(schedule)

    def _DeleteSchedule(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        self._schedule("DeleteSchedule", params)
        del self.flows[params["FlowName"]]["schedules"][params["ScheduleName"]]
        return {}

    def _ListExecutions(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("ListExecutions", params["FlowName"])
        selected = [execution for execution in flow["executions"].values()
                    if (not params.get("Status") or execution["Status"] == params["Status"])
                    and execution["Name"].startswith(params.get("ExecutionNamePrefix") or "")
                    and (not params.get("StartedTimeBegin") or execution["StartedTime"] >= params["StartedTimeBegin"])
                    and (not params.get("StartedTimeEnd") or execution["StartedTime"] <= params["StartedTimeEnd"])]
        executions, token = _page(selected, params, self.page_size)
        return {"Executions": executions, "NextToken": token}

    def _DescribeExecution(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        execution = self._execution("DescribeExecution", params)
        wait = int(params.get("WaitTimeSeconds") or 0)
        if wait and execution["Status"] not in TERMINAL:
            flow = self.flows[params["FlowName"]]
            when = min([flow[table][params["ExecutionName"]] for table in ("stop_at", "finish_at")
                        if params["ExecutionName"] in flow[table]] or [self.clock.now + wait])
            self.clock.now = min(when, self.clock.now + wait)
            self._settle()
        return copy.deepcopy(execution)

    def _StopExecution(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        execution = self._execution("StopExecution", params)
        if execution["Status"] in TERMINAL:
            raise ApiError("StopExecution", 400, "ExecutionAlreadyCompleted", "Execution {0} has already completed.".format(
                execution["Name"]), "req-done")
        flow = self.flows[params["FlowName"]]
        flow["stop_at"].setdefault(execution["Name"], self.clock.now + self.stop_delay)
        self._settle()
        return copy.deepcopy(execution)

    def _StartExecution(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("StartExecution", params["FlowName"])
        name = params["ExecutionName"]
        existing = flow["executions"].get(name)
        if existing is not None:
            if existing["Status"] in TERMINAL:
                raise ApiError("StartExecution", 400, "ExecutionAlreadyExists", "exists", "req-exists")
            return copy.deepcopy(existing)
        execution = {"Name": name, "FlowName": params["FlowName"], "Status": "Running", "Input": params.get("Input") or "",
                     "StartedTime": "2024-05-02T00:00:00.000Z"}
        flow["executions"][name] = execution
        return copy.deepcopy(execution)
