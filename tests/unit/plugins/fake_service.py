# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one in-memory CloudFlow of the unit tests, with a fake clock: flows, schedules, executions and their history,
flow versions and aliases.

It answers CloudFlowClient.call() as the reference describes the service (error codes and HTTP statuses, Limit ranges,
NextToken as the name of the first item of the next page, schedule records without FlowName, an UpdateFlow answer
without ExecutionMode, stops that land stop_delay fake seconds later, deletions that land later still) and records
every call. Versions and aliases follow the emulator's choices (tests/emulator/README.md, "Versions and aliases"):
numbers from "1" never reused, a publish always creates a version, 404 FlowVersionNotExists / FlowAliasNotExists,
409 FlowAliasAlreadyExists and FlowVersionInUse, 400 InvalidArgument for a bad routing, ListFlowAliases with Weight as
a string; an execution started with a Qualifier records it and the version it ran (qualifier_of), which
ListExecutions' Qualifier filters on. Tests steer it with injected errors, races (another client's doing just before a call is applied), stops
that never land, and a NextToken that does not advance.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError

READ_PREFIXES = ("Describe", "List", "Get")
TERMINAL = ("Stopped", "Succeeded", "Failed", "TimedOut")
CREATED_TIME = "2024-05-01T00:00:00.000Z"
MODIFIED_TIME = "2024-05-02T00:00:00.000Z"
STOPPED_TIME = "2024-05-01T01:00:00.000Z"
DEFINITION = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: one\n"
# Listing actions: (items key, the field a NextToken names, the largest Limit the reference allows).
LISTINGS = {
    "ListFlows": ("Flows", "Name", 1000),
    "ListSchedules": ("Schedules", "ScheduleName", 1000),
    "ListExecutions": ("Executions", "Name", 100),
    "GetExecutionHistory": ("Events", "EventId", 1000),
    "ListFlowVersions": ("FlowVersions", "Version", 1000),
    "ListFlowAliases": ("Aliases", "Name", 1000),
}
VERSION_PATTERN = re.compile(r"^[1-9][0-9]{0,9}$")
DEFAULT_LIMIT = 60


class FakeClock:
    """Time that moves only when the code under test sleeps (or a long-poll waits); thread-safe."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def _enable(value: t.Any) -> bool:
    """Enable as the client may send it: a bool, or its text on the wire."""
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def _environment(variables: t.Optional[t.Mapping[str, str]]) -> dict[str, t.Any]:
    return {"Variables": [{"Name": key, "Value": value, "Description": ""} for key, value in (variables or {}).items()]}


class FakeCloudFlow:
    """The service; thread-safe, like the real one behind a client used by several threads.

    stop_delay: fake seconds from an accepted StopExecution to the Stopped status. delete_reads: how many more
    DescribeFlow calls still find a flow after DeleteFlow (the service deletes asynchronously). page_size: the most
    items a listing page holds (Limit may ask for fewer). stuck_token: a NextToken that does not advance; every page
    with more after it answers this token, which asks for the first page again (ListSchedules documents its token as
    the flow's name). call_limit: the test fails after this many calls (a loop that never ends).
    """

    def __init__(self, clock: t.Optional[FakeClock] = None, *, stop_delay: float = 0.0, page_size: int = 100,
                 delete_reads: int = 0, stuck_token: t.Optional[str] = None, call_limit: int = 10000) -> None:
        self.clock = clock or FakeClock()
        self.stop_delay = stop_delay
        self.page_size = page_size
        self.delete_reads = delete_reads
        self.stuck_token = stuck_token
        self.call_limit = call_limit
        self.lock = threading.RLock()
        self.flows: dict[str, dict[str, t.Any]] = {}
        self.pending_deletes: dict[str, int] = {}
        self.calls: list[tuple[str, dict[str, t.Any]]] = []
        # (action, target name or None) -> errors to raise, one per call
        self.injected: dict[tuple[str, t.Optional[str]], list[Exception]] = {}
        # (action, target name or None) -> another client's doings, one applied just before each such call
        self.races: dict[tuple[str, t.Optional[str]], list[t.Callable[[], None]]] = {}
        # Called with (action, params) before each call is applied (to look at the world at that moment).
        self.before_call: t.Optional[t.Callable[[str, t.Mapping[str, t.Any]], None]] = None
        self.counter = 0
        self.flow_counter = 0
        self.requests = 0

    # -- seeding ---------------------------------------------------------------------------------------------------

    def add_flow(self, name: str, definition: str = DEFINITION, description: str = "a flow", execution_mode: str = "",
                 role_arn: str = "", environment: t.Optional[t.Mapping[str, str]] = None) -> dict[str, t.Any]:
        """A flow (unless it exists); returns its record, as DescribeFlow answers it."""
        if name not in self.flows:
            self.flow_counter += 1
            record = {
                "Name": name, "Id": "flow-id-{0}".format(self.flow_counter), "Definition": definition, "Description": description,
                "Type": "FDL", "RoleArn": role_arn, "ExecutionMode": execution_mode, "Environment": _environment(environment),
                "CreatedTime": CREATED_TIME, "LastModifiedTime": CREATED_TIME,
            }
            self.flows[name] = {"record": record, "schedules": {}, "executions": {}, "stop_at": {}, "finish_at": {}, "ignores_stop": set(),
                                "versions": {}, "next_version": 1, "aliases": {}, "qualifiers": {}}
        return t.cast("dict[str, t.Any]", self.flows[name]["record"])

    def add_schedule(self, flow: str, name: str, cron: str = "0 0 0 1 1 ?", enabled: bool = True, payload: t.Optional[str] = None,
                     created_time: str = CREATED_TIME, description: str = "") -> dict[str, t.Any]:
        self.add_flow(flow)
        self.counter += 1
        schedule = {"ScheduleName": name, "ScheduleId": "sid-{0}".format(self.counter), "CronExpression": cron,
                    "Payload": payload if payload is not None else "", "Description": description, "Enable": enabled,
                    "CreatedTime": created_time, "LastModifiedTime": created_time}
        self.flows[flow]["schedules"][name] = schedule
        return schedule

    def add_execution(self, flow: str, name: str, status: str = "Running", input_text: t.Optional[str] = None,
                      started_time: str = CREATED_TIME, finish_after: t.Optional[float] = None,
                      qualifier: t.Optional[str] = None, flow_version: t.Optional[str] = None) -> dict[str, t.Any]:
        """An execution; with finish_after it succeeds by itself that many fake seconds from now. qualifier is what it
        was started with, flow_version the version it ran (the version itself when qualifier is a number)."""
        record = self.add_flow(flow)
        if flow_version is None and qualifier is not None and VERSION_PATTERN.match(qualifier):
            flow_version = qualifier
        snapshot = self.flows[flow]["versions"].get(flow_version) if flow_version else None
        execution = {"Name": name, "FlowName": flow, "FlowDefinition": (snapshot or record)["Definition"], "Status": status,
                     "Input": input_text or "", "Output": "", "StartedTime": started_time,
                     "StoppedTime": STOPPED_TIME if status in TERMINAL else ""}
        self.flows[flow]["executions"][name] = execution
        self.flows[flow]["qualifiers"][name] = {"qualifier": qualifier, "flow_version": flow_version}
        if finish_after is not None:
            self.finish_after(flow, name, finish_after)
        return execution

    def add_executions(self, flow: str, statuses: t.Mapping[str, str]) -> None:
        """Executions with these statuses, started a minute apart in this order (2024-05-01T00:00, 00:01, ...)."""
        self.add_flow(flow)
        for index, (name, status) in enumerate(statuses.items()):
            self.add_execution(flow, name, status, started_time="2024-05-01T00:{0:02d}:00.000Z".format(index % 60))

    def publish(self, flow: str, description: str = "") -> str:
        """Publish the flow as it is now (as PublishFlowVersion); returns the new version's number."""
        table = self.flows[flow]
        record = table["record"]
        version = str(table["next_version"])
        table["next_version"] += 1
        table["versions"][version] = {
            "Version": version, "Description": description, "CreatedTime": MODIFIED_TIME,
            "Definition": record["Definition"], "FlowDescription": record["Description"], "RoleArn": record["RoleArn"],
            "Environment": copy.deepcopy(record["Environment"]), "LastModifiedTime": record["LastModifiedTime"],
        }
        return version

    def add_alias(self, flow: str, name: str, routing: t.Mapping[str, int], description: str = "") -> dict[str, t.Any]:
        """An alias routing version -> weight (no checks: seeding)."""
        alias = {"Name": name, "Description": description, "CreatedTime": CREATED_TIME,
                 "RoutingConfigurations": [{"Version": str(version), "Weight": weight} for version, weight in routing.items()]}
        self.flows[flow]["aliases"][name] = alias
        return alias

    def versions(self, flow: str) -> list[str]:
        """The flow's version numbers, oldest first."""
        return sorted(self.flows[flow]["versions"], key=int)

    def alias(self, flow: str, name: str) -> dict[str, t.Any]:
        return t.cast("dict[str, t.Any]", self.flows[flow]["aliases"][name])

    def qualifier_of(self, flow: str, name: str) -> dict[str, t.Optional[str]]:
        """{qualifier, flow_version} of an execution: what StartExecution was given and the version that ran."""
        return t.cast("dict[str, t.Optional[str]]", self.flows[flow]["qualifiers"][name])

    def inject(self, action: str, error: Exception, target: t.Optional[str] = None, times: int = 1) -> None:
        """Answer the next `times` calls of the action (for target, the schedule or execution name) with error."""
        self.injected.setdefault((action, target), []).extend([error] * times)

    def meanwhile(self, action: str, change: t.Callable[[], None], target: t.Optional[str] = None) -> None:
        """A race: change (another client's doing) is applied just before the next call of the action (for target)."""
        self.races.setdefault((action, target), []).append(change)

    def finish_after(self, flow: str, name: str, seconds: float) -> None:
        """The execution succeeds by itself that many fake seconds from now (unless it ends before)."""
        self.flows[flow]["finish_at"][name] = self.clock.now + seconds

    def never_stops(self, flow: str, name: str) -> None:
        """StopExecution is accepted for the execution but never takes effect."""
        self.flows[flow]["ignores_stop"].add(name)

    def finish(self, flow: str, name: str, status: str = "Succeeded") -> None:
        """The execution ends by itself, now."""
        execution = self.flows[flow]["executions"][name]
        execution["Status"] = status
        execution["StoppedTime"] = STOPPED_TIME

    def forget(self, flow: str, name: str) -> None:
        """The execution's record is gone (the service answers ExecutionNotExists from now on)."""
        for table in ("executions", "stop_at", "finish_at"):
            self.flows[flow][table].pop(name, None)

    # -- observing -------------------------------------------------------------------------------------------------

    def actions(self) -> list[str]:
        return [action for action, _params in self.calls]

    def sent(self, action: str) -> list[dict[str, t.Any]]:
        """The parameters of every call of the action, in order."""
        return [params for called, params in self.calls if called == action]

    def writes(self) -> list[tuple[str, dict[str, t.Any]]]:
        return [(action, params) for action, params in self.calls if not action.startswith(READ_PREFIXES)]

    def write_actions(self) -> list[str]:
        return [action for action, _params in self.writes()]

    def record(self, flow: str) -> dict[str, t.Any]:
        """The flow's record as the service keeps it (DescribeFlow answers a copy)."""
        return t.cast("dict[str, t.Any]", self.flows[flow]["record"])

    def execution(self, flow: str, name: str) -> dict[str, t.Any]:
        with self.lock:
            self._settle()
            return t.cast("dict[str, t.Any]", self.flows[flow]["executions"][name])

    def status(self, flow: str, name: str) -> str:
        return str(self.execution(flow, name)["Status"])

    def schedule(self, flow: str, name: str) -> dict[str, t.Any]:
        return t.cast("dict[str, t.Any]", self.flows[flow]["schedules"][name])

    def enabled(self, flow: str, name: str) -> bool:
        return bool(self.schedule(flow, name)["Enable"])

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
            if len(self.calls) > self.call_limit:
                raise AssertionError("{0} calls, the last one {1}: a loop that does not end?".format(len(self.calls), action))
            target = params.get("ScheduleName") or params.get("ExecutionName")
            for key in ((action, target), (action, None)):
                if self.races.get(key):
                    self.races[key].pop(0)()
            for key in ((action, target), (action, None)):
                if self.injected.get(key):
                    raise self.injected[key].pop(0)
            self._settle()
            self.requests += 1
            answer = getattr(self, "_" + action)(params)
            return dict(answer, RequestId="req-{0}".format(self.requests))

    def _settle(self) -> None:
        for flow in self.flows.values():
            for table, status in (("stop_at", "Stopped"), ("finish_at", "Succeeded")):
                for name, when in list(flow[table].items()):
                    if self.clock.now >= when:
                        execution = flow["executions"][name]
                        if execution["Status"] not in TERMINAL:
                            execution["Status"] = status
                            execution["StoppedTime"] = STOPPED_TIME
                        del flow[table][name]

    def _page(self, action: str, items: list[dict[str, t.Any]], params: t.Mapping[str, t.Any],
              order: list[t.Any]) -> dict[str, t.Any]:
        """One page of items (in the listing's order) with its NextToken: the name of the first item of the next page,
        as the reference documents it. A token whose item has left the selection since (a status filter) resumes at
        the next item in the listing's order."""
        items_key, name_key, largest = LISTINGS[action]
        limit = int(params.get("Limit") or DEFAULT_LIMIT)
        if not 1 <= limit <= largest:
            raise ApiError(action, 400, "InvalidArgument", "Parameter error.", "req-limit")
        start = 0
        token = params.get("NextToken")
        if token and token != self.stuck_token:
            rank = {str(name): position for position, name in enumerate(order)}
            if str(token) not in rank:
                raise ApiError(action, 400, "InvalidArgument", "Parameter error.", "req-token")
            start = next((index for index, item in enumerate(items) if rank[str(item[name_key])] >= rank[str(token)]), len(items))
        end = start + min(self.page_size, limit)
        answer: dict[str, t.Any] = {items_key: [copy.deepcopy(item) for item in items[start:end]]}
        if end < len(items):
            answer["NextToken"] = self.stuck_token or str(items[end][name_key])
        return answer

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
        return t.cast("dict[str, t.Any]", schedule)

    def _execution(self, action: str, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow(action, params["FlowName"])
        execution = flow["executions"].get(params["ExecutionName"])
        if execution is None:
            raise ApiError(action, 404, "ExecutionNotExists", "Execution {0} for flow {1} does not exist.".format(
                params["ExecutionName"], params["FlowName"]), "req-execution")
        return t.cast("dict[str, t.Any]", execution)

    # -- flows -------------------------------------------------------------------------------------------------------

    def _CreateFlow(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        for required in ("Name", "Definition", "Description", "Type"):
            if not params.get(required):
                raise ApiError("CreateFlow", 400, "MissingRequiredParams", "The HTTP query '{0}' must be specified.".format(required), "req-400")
        if params["Name"] in self.flows:
            raise ApiError("CreateFlow", 409, "FlowAlreadyExists", "Flow {0} already exists.".format(params["Name"]), "req-409")
        record = self.add_flow(params["Name"], params["Definition"], params["Description"], params.get("ExecutionMode", ""),
                               params.get("RoleArn", ""))
        record["Type"] = params["Type"]
        if "Environment" in params:
            record["Environment"] = json.loads(params["Environment"])
        return copy.deepcopy(record)

    def _UpdateFlow(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        record = self._flow("UpdateFlow", params["Name"])["record"]
        for field in ("Definition", "Description", "Type", "RoleArn"):
            if field in params:
                record[field] = params[field]
        if "Environment" in params:
            record["Environment"] = json.loads(params["Environment"])
        record["LastModifiedTime"] = MODIFIED_TIME
        return {key: copy.deepcopy(value) for key, value in record.items() if key != "ExecutionMode"}

    def _DescribeFlow(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        name = params["Name"]
        if name in self.pending_deletes:
            if self.pending_deletes[name] <= 0:
                del self.pending_deletes[name]
                del self.flows[name]
            else:
                self.pending_deletes[name] -= 1
        flow = self._flow("DescribeFlow", name)
        record = copy.deepcopy(flow["record"])
        if params.get("FlowVersion"):
            snapshot = self._version("DescribeFlow", flow, params["FlowVersion"])
            record.update({"Definition": snapshot["Definition"], "Description": snapshot["FlowDescription"], "RoleArn": snapshot["RoleArn"],
                           "Environment": copy.deepcopy(snapshot["Environment"]), "LastModifiedTime": snapshot["LastModifiedTime"]})
        return record

    def _ListFlows(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        names = sorted(self.flows)
        return self._page("ListFlows", [self.flows[name]["record"] for name in names], params, names)

    def _DeleteFlow(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        name = params["Name"]
        self._flow("DeleteFlow", name)
        if self.delete_reads:
            self.pending_deletes.setdefault(name, self.delete_reads)
        else:
            del self.flows[name]
        return {}

    # -- schedules ---------------------------------------------------------------------------------------------------

    def _CreateSchedule(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("CreateSchedule", params["FlowName"])
        if params["ScheduleName"] in flow["schedules"]:
            raise ApiError("CreateSchedule", 409, "ScheduleAlreadyExists", "The schedule {0} already exists in flow {1}.".format(
                params["ScheduleName"], params["FlowName"]), "req-exists")
        schedule = self.add_schedule(params["FlowName"], params["ScheduleName"], params["CronExpression"], _enable(params.get("Enable", True)),
                                     params.get("Payload"), description=params.get("Description") or "")
        return copy.deepcopy(schedule)

    def _ListSchedules(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        schedules = self._flow("ListSchedules", params["FlowName"])["schedules"]
        return self._page("ListSchedules", list(schedules.values()), params, list(schedules))

    def _DescribeSchedule(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        return copy.deepcopy(self._schedule("DescribeSchedule", params))

    def _UpdateSchedule(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        schedule = self._schedule("UpdateSchedule", params)
        for field in ("CronExpression", "Payload", "Description"):
            if field in params:
                schedule[field] = params[field]
        if "Enable" in params:
            schedule["Enable"] = _enable(params["Enable"])
        schedule["LastModifiedTime"] = MODIFIED_TIME
        return copy.deepcopy(schedule)

    def _DeleteSchedule(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        self._schedule("DeleteSchedule", params)
        del self.flows[params["FlowName"]]["schedules"][params["ScheduleName"]]
        return {}

    # -- executions --------------------------------------------------------------------------------------------------

    def _ListExecutions(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("ListExecutions", params["FlowName"])
        executions = flow["executions"]
        qualifier = params.get("Qualifier")
        field = "flow_version" if qualifier and VERSION_PATTERN.match(qualifier) else "qualifier"
        selected = [execution for execution in executions.values()
                    if (not qualifier or flow["qualifiers"].get(execution["Name"], {}).get(field) == qualifier)
                    and (not params.get("Status") or execution["Status"] == params["Status"])
                    and execution["Name"].startswith(params.get("ExecutionNamePrefix") or "")
                    and (not params.get("StartedTimeBegin") or execution["StartedTime"] >= params["StartedTimeBegin"])
                    and (not params.get("StartedTimeEnd") or execution["StartedTime"] <= params["StartedTimeEnd"])]
        return self._page("ListExecutions", selected, params, list(executions))

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

    def _GetExecutionHistory(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        execution = self._execution("GetExecutionHistory", params)
        events = [{"EventId": 1, "ScheduleEventId": 0, "Type": "ExecutionStarted", "StepName": "", "Time": execution["StartedTime"],
                   "EventDetail": json.dumps({"input": json.loads(execution["Input"] or "{}")})}]
        if execution["Status"] in TERMINAL:
            events.append({"EventId": 2, "ScheduleEventId": 1, "Type": "Execution" + execution["Status"], "StepName": "",
                           "Time": execution["StoppedTime"], "EventDetail": "{}"})
        return self._page("GetExecutionHistory", events, params, [event["EventId"] for event in events])

    def _StopExecution(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        execution = self._execution("StopExecution", params)
        if execution["Status"] in TERMINAL:
            raise ApiError("StopExecution", 400, "ExecutionAlreadyCompleted", "Execution '{0}' for flow '{1}' has already completed.".format(
                execution["Name"], params["FlowName"]), "req-done")
        flow = self.flows[params["FlowName"]]
        if execution["Name"] not in flow["ignores_stop"]:
            flow["stop_at"].setdefault(execution["Name"], self.clock.now + self.stop_delay)
            self._settle()
        return copy.deepcopy(execution)

    def _StartExecution(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("StartExecution", params["FlowName"])
        name = params["ExecutionName"]
        qualifier = params.get("Qualifier") or None
        flow_version = None
        if qualifier is not None:
            if VERSION_PATTERN.match(qualifier):
                flow_version = self._version("StartExecution", flow, qualifier)["Version"]
            else:
                # The heaviest route (the first of equals): the fake routes every start the same way.
                routes = self._alias("StartExecution", flow, params["FlowName"], qualifier)["RoutingConfigurations"]
                flow_version = max(routes, key=lambda route: int(route["Weight"]))["Version"]
        existing = flow["executions"].get(name)
        if existing is not None:
            if existing["Status"] in TERMINAL:
                raise ApiError("StartExecution", 400, "ExecutionAlreadyExists", "Execution {0} for flow {1} already exists.".format(
                    name, params["FlowName"]), "req-exists")
            return copy.deepcopy(existing)
        execution = self.add_execution(params["FlowName"], name, input_text=params.get("Input"), started_time=MODIFIED_TIME,
                                       qualifier=qualifier, flow_version=flow_version)
        return copy.deepcopy(execution)

    # -- versions and aliases ------------------------------------------------------------------------------------------

    def _version(self, action: str, flow: t.Mapping[str, t.Any], version: str) -> dict[str, t.Any]:
        if not VERSION_PATTERN.match(str(version)):
            raise ApiError(action, 400, "InvalidArgument", "Parameter error. '{0}' is not a version number.".format(version), "req-400")
        found = flow["versions"].get(str(version))
        if found is None:
            raise ApiError(action, 404, "FlowVersionNotExists", "Version {0} of flow {1} does not exist.".format(
                version, flow["record"]["Name"]), "req-version")
        return t.cast("dict[str, t.Any]", found)

    @staticmethod
    def _alias(action: str, flow: t.Mapping[str, t.Any], flow_name: str, name: str) -> dict[str, t.Any]:
        alias = flow["aliases"].get(name)
        if alias is None:
            raise ApiError(action, 404, "FlowAliasNotExists", "The alias {0} for flow {1} does not exist.".format(name, flow_name), "req-alias")
        return t.cast("dict[str, t.Any]", alias)

    @staticmethod
    def _routing(action: str, flow: t.Mapping[str, t.Any], raw: t.Any) -> list[dict[str, t.Any]]:
        """RoutingConfigurations as the emulator checks it: JSON text (or the list the client hands over), 1-2
        {Version, Weight} entries, distinct existing versions, integer weights 0-100 adding up to 100."""
        routes = json.loads(raw) if isinstance(raw, str) else raw

        def invalid(detail: str) -> ApiError:
            return ApiError(action, 400, "InvalidArgument", "Parameter error. RoutingConfigurations: " + detail, "req-400")

        if not isinstance(routes, list) or not 1 <= len(routes) <= 2:
            raise invalid("one or two entries.")
        checked = []
        for route in routes:
            if not isinstance(route, dict) or set(route) != {"Version", "Weight"} or not VERSION_PATTERN.match(str(route["Version"])):
                raise invalid("each entry is {Version, Weight}.")
            weight = route["Weight"]
            if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
                raise invalid("Weight is an integer from 0 to 100.")
            if str(route["Version"]) not in flow["versions"]:
                raise invalid("version {0} does not exist.".format(route["Version"]))
            checked.append({"Version": str(route["Version"]), "Weight": weight})
        if len({route["Version"] for route in checked}) != len(checked):
            raise invalid("a version is given twice.")
        if sum(route["Weight"] for route in checked) != 100:
            raise invalid("the weights must add up to 100.")
        return checked

    def _PublishFlowVersion(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("PublishFlowVersion", params["FlowName"])
        version = self.publish(params["FlowName"], params.get("Description") or "")
        snapshot = flow["versions"][version]
        return {"FlowName": params["FlowName"], "Version": version, "Description": snapshot["Description"], "CreatedTime": snapshot["CreatedTime"]}

    def _ListFlowVersions(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("ListFlowVersions", params["FlowName"])
        numbers = sorted(flow["versions"], key=int)
        items = [{key: flow["versions"][number][key] for key in ("Version", "Description", "CreatedTime")} for number in numbers]
        return self._page("ListFlowVersions", items, params, numbers)

    def _DeleteFlowVersion(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("DeleteFlowVersion", params["FlowName"])
        version = self._version("DeleteFlowVersion", flow, params["FlowVersion"])["Version"]
        users = sorted(name for name, alias in flow["aliases"].items()
                       if any(str(route["Version"]) == version for route in alias["RoutingConfigurations"]))
        if users:
            raise ApiError("DeleteFlowVersion", 409, "FlowVersionInUse", "Version {0} of flow {1} is in use by alias(es): {2}.".format(
                version, params["FlowName"], ", ".join(users)), "req-in-use")
        del flow["versions"][version]
        return {}

    def _CreateFlowAlias(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("CreateFlowAlias", params["FlowName"])
        if params["Name"] in flow["aliases"]:
            raise ApiError("CreateFlowAlias", 409, "FlowAliasAlreadyExists", "The alias {0} already exists in flow {1}.".format(
                params["Name"], params["FlowName"]), "req-exists")
        routing = self._routing("CreateFlowAlias", flow, params["RoutingConfigurations"])
        alias = {"Name": params["Name"], "Description": params.get("Description") or "", "CreatedTime": MODIFIED_TIME,
                 "RoutingConfigurations": routing}
        flow["aliases"][params["Name"]] = alias
        return dict(copy.deepcopy(alias), FlowName=params["FlowName"])

    def _UpdateFlowAlias(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("UpdateFlowAlias", params["FlowName"])
        alias = self._alias("UpdateFlowAlias", flow, params["FlowName"], params["Name"])
        if "RoutingConfigurations" in params:
            alias["RoutingConfigurations"] = self._routing("UpdateFlowAlias", flow, params["RoutingConfigurations"])
        if "Description" in params:
            alias["Description"] = params["Description"]
        return {"Alias": copy.deepcopy(alias)}

    def _DescribeFlowAlias(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("DescribeFlowAlias", params["FlowName"])
        return {"Alias": copy.deepcopy(self._alias("DescribeFlowAlias", flow, params["FlowName"], params["Name"]))}

    def _ListFlowAliases(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("ListFlowAliases", params["FlowName"])
        names = sorted(flow["aliases"])
        items = []
        for name in names:
            alias = copy.deepcopy(flow["aliases"][name])
            # ListFlowAliases spells Weight as a string (reference 3.1).
            alias["RoutingConfigurations"] = [{"Version": route["Version"], "Weight": str(route["Weight"])} for route in alias["RoutingConfigurations"]]
            items.append(alias)
        return self._page("ListFlowAliases", items, params, names)

    def _DeleteFlowAlias(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        flow = self._flow("DeleteFlowAlias", params["FlowName"])
        self._alias("DeleteFlowAlias", flow, params["FlowName"], params["Name"])
        del flow["aliases"][params["Name"]]
        return {}
