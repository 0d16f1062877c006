# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Flows, executions, history and the lazily computed execution lifecycle.

All state lives in one asyncio event loop; nothing here awaits, so no locks are needed.
Status is computed from scheduled transitions (monotonic clock) when it is read; every
change sets the execution's asyncio event so long-polls wake at once. A long-poll also
sleeps only until the next scheduled transition, so scheduled changes wake it too.
"""
from __future__ import annotations

import asyncio
import copy
import json
import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

STATUSES = ("Starting", "Running", "Stopped", "Succeeded", "Failed", "TimedOut")
TERMINAL = ("Stopped", "Succeeded", "Failed", "TimedOut")
IN_PROGRESS = ("Starting", "Running")


def wall_from_mono(mono: float) -> float:
    """Wall-clock epoch seconds for a monotonic instant."""
    return time.time() - (time.monotonic() - mono)


def fmt_time(epoch: float) -> str:
    dt = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def now_str() -> str:
    return fmt_time(time.time())


_STEP_NAME = re.compile(r"^\s*-?\s*name:\s*['\"]?([A-Za-z0-9_.-]+)", re.MULTILINE)


def first_step_name(definition: str) -> str:
    for match in _STEP_NAME.finditer(definition or ""):
        return match.group(1)
    return "Step1"


class Flow:
    def __init__(self, name: str, definition: str = "", description: str = "",
                 type_: str = "FDL", role_arn: str = "", execution_mode: str = "Standard",
                 run_seconds: Optional[float] = None,
                 environment: Optional[Dict[str, Any]] = None,
                 external_storage_location: Optional[str] = None,
                 resource_group_id: Optional[str] = None) -> None:
        self.name = name
        self.id = str(uuid.uuid4())
        self.definition = definition
        self.description = description
        self.type = type_
        self.role_arn = role_arn
        self.execution_mode = execution_mode or "Standard"
        self.run_seconds = run_seconds
        self.environment = environment
        self.external_storage_location = external_storage_location
        self.resource_group_id = resource_group_id
        self.created_time = now_str()
        self.last_modified_time = self.created_time
        self.executions: Dict[str, "Execution"] = {}
        self.schedules: Dict[str, "Schedule"] = {}
        # Versions by number (never reused: next_version only grows), aliases by name, and the
        # control surface's planned outcomes of executions by version number.
        self.versions: Dict[int, "FlowVersion"] = {}
        self.next_version = 1
        self.aliases: Dict[str, "Alias"] = {}
        self.version_outcomes: Dict[int, Dict[str, Any]] = {}
        # DeleteFlow is asynchronous: the flow stays visible until this monotonic instant.
        self.delete_at: Optional[float] = None

    def to_api(self, update_reply: bool = False,
               version: Optional["FlowVersion"] = None) -> Dict[str, Any]:
        """CreateFlow / DescribeFlow / ListFlows fields; UpdateFlow's reply has
        ExternalStorageLocation instead of ExecutionMode (as the SDK's models say). With a
        version: DescribeFlow's answer for that version (its snapshot of the definition,
        description, role, environment and modification time)."""
        source: Any = self if version is None else version
        out: Dict[str, Any] = {
            "Name": self.name, "Id": self.id, "Definition": source.definition,
            "Description": source.description, "Type": self.type, "RoleArn": source.role_arn,
            "CreatedTime": self.created_time, "LastModifiedTime": source.last_modified_time,
        }
        if update_reply:
            if self.external_storage_location is not None:
                out["ExternalStorageLocation"] = self.external_storage_location
        else:
            out["ExecutionMode"] = self.execution_mode
        if source.environment is not None:
            out["Environment"] = json.loads(json.dumps(source.environment))
        if self.resource_group_id is not None:
            out["ResourceGroupId"] = self.resource_group_id
        return out

    def to_control(self) -> Dict[str, Any]:
        out = self.to_api()
        out["run_seconds"] = self.run_seconds
        out["execution_count"] = len(self.executions)
        out["schedule_count"] = len(self.schedules)
        out["version_count"] = len(self.versions)
        out["alias_count"] = len(self.aliases)
        out["deleting"] = self.delete_at is not None
        return out

    def publish(self, description: str) -> "FlowVersion":
        """A new version: the flow as it is now, numbered after every earlier one."""
        version = FlowVersion(self, self.next_version, description)
        self.versions[version.number] = version
        self.next_version += 1
        return version

    def aliases_routing_to(self, version: "FlowVersion") -> List[str]:
        return sorted(name for name, alias in self.aliases.items()
                      if any(v == version.version for v, _weight in alias.routing))


class FlowVersion:
    """An immutable snapshot of a flow's definition, description, environment and role
    (what PublishFlowVersion publishes); `description` is the version's own Description."""

    def __init__(self, flow: Flow, number: int, description: str) -> None:
        self.flow = flow
        self.number = number
        self.version = str(number)
        self.version_description = description
        self.created_time = now_str()
        self.definition = flow.definition
        self.description = flow.description
        self.role_arn = flow.role_arn
        self.environment = copy.deepcopy(flow.environment)
        self.last_modified_time = flow.last_modified_time

    def to_api(self) -> Dict[str, Any]:
        """PublishFlowVersion (plus FlowName) and ListFlowVersions fields."""
        return {"Version": self.version, "Description": self.version_description,
                "CreatedTime": self.created_time}

    def to_control(self) -> Dict[str, Any]:
        out = self.to_api()
        out["flow_name"] = self.flow.name
        out["definition"] = self.definition
        out["flow_description"] = self.description
        out["role_arn"] = self.role_arn
        out["environment"] = copy.deepcopy(self.environment)
        out["last_modified_time"] = self.last_modified_time
        outcome = self.flow.version_outcomes.get(self.number)
        out["outcome"] = dict(outcome) if outcome is not None else None
        out["execution_count"] = sum(1 for ex in self.flow.executions.values()
                                     if ex.flow_version == self.version)
        out["aliases"] = self.flow.aliases_routing_to(self)
        return out


class Alias:
    """A flow alias: one or two (version, weight) routes whose weights sum to 100."""

    def __init__(self, flow: Flow, name: str, routing: List[Tuple[str, int]],
                 description: str) -> None:
        self.flow = flow
        self.name = name
        self.routing = list(routing)
        self.description = description
        self.created_time = now_str()
        self.last_modified_time = self.created_time

    def routing_api(self, weight_as_string: bool = False) -> List[Dict[str, Any]]:
        return [{"Version": version, "Weight": str(weight) if weight_as_string else weight}
                for version, weight in self.routing]

    def to_api(self, weight_as_string: bool = False) -> Dict[str, Any]:
        """The Alias object of Update/DescribeFlowAlias; ListFlowAliases answers Weight as a
        string (weight_as_string), the others as an integer (the SDK's models)."""
        return {"Name": self.name, "Description": self.description,
                "RoutingConfigurations": self.routing_api(weight_as_string),
                "CreatedTime": self.created_time}

    def to_control(self) -> Dict[str, Any]:
        out = self.to_api()
        out["flow_name"] = self.flow.name
        out["last_modified_time"] = self.last_modified_time
        out["execution_count"] = sum(1 for ex in self.flow.executions.values()
                                     if ex.qualifier == self.name)
        return out


class Schedule:
    """A time-based schedule of a flow. `anchor` (emulated epoch seconds) is its creation or
    last enable, which `@every` counts from; `checked_until` is the emulated instant up to
    which its fire times have been handled (no catch-up of earlier ones)."""

    def __init__(self, flow: Flow, name: str, cron_expression: str, payload: Optional[str],
                 description: str, enable: bool, now_emulated: float) -> None:
        self.flow = flow
        self.name = name
        self.id = str(uuid.uuid4())
        self.cron_expression = cron_expression
        self.payload = payload
        self.description = description
        self.enable = enable
        self.created_time = now_str()
        self.last_modified_time = self.created_time
        self.anchor = now_emulated
        self.checked_until = now_emulated
        self.fire_count = 0

    def to_api(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "ScheduleId": self.id, "ScheduleName": self.name,
            "CronExpression": self.cron_expression, "Description": self.description,
            "Enable": self.enable, "CreatedTime": self.created_time,
            "LastModifiedTime": self.last_modified_time,
        }
        if self.payload is not None:
            out["Payload"] = self.payload
        return out

    def to_control(self) -> Dict[str, Any]:
        out = self.to_api()
        out["flow_name"] = self.flow.name
        out["fire_count"] = self.fire_count
        return out


class Execution:
    def __init__(self, store: "Store", flow: Flow, name: str, input_: Optional[str],
                 status: str = "Starting", started_wall: Optional[float] = None,
                 version: Optional[FlowVersion] = None, qualifier: Optional[str] = None
                 ) -> None:
        self.store = store
        self.flow = flow
        self.name = name
        # An execution of a version runs (and answers as FlowDefinition) the version's
        # definition; one without a version answers the flow's current definition.
        self.definition = version.definition if version is not None else None
        self.flow_version = version.version if version is not None else None
        self.qualifier = qualifier
        self.input = input_
        self.output: Optional[str] = None
        self._status = status
        self.started_wall = started_wall if started_wall is not None else time.time()
        self.started_ms = int(round(self.started_wall * 1000))
        self.stopped_wall: Optional[float] = None
        # scheduled transitions: (monotonic time, status, extra)
        self.pending: List[Tuple[float, str, Dict[str, Any]]] = []
        self.stop_requested = False
        self.events: List[Dict[str, Any]] = []
        self.changed = asyncio.Event()
        self.step_name = first_step_name(self.flow_definition)
        self._event("ExecutionStarted", None, self.started_wall,
                    {"input": self._json_or_empty(input_)})
        if status == "Running":
            self._event("StepEntered", self.step_name, self.started_wall,
                        {"input": self._json_or_empty(input_)})

    @property
    def flow_definition(self) -> str:
        return self.definition if self.definition is not None else self.flow.definition

    @staticmethod
    def _json_or_empty(text: Optional[str]) -> Any:
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError:
            return text

    # -- history ---------------------------------------------------------------------------
    def _event(self, type_: str, step: Optional[str], wall: float, detail: Dict[str, Any]) -> None:
        event_id = len(self.events) + 1
        self.events.append({
            "EventId": event_id,
            "ScheduleEventId": event_id - 1,
            "Type": type_,
            "StepName": step or "",
            "Time": fmt_time(wall),
            "EventDetail": json.dumps(detail, ensure_ascii=False, separators=(",", ":")),
        })

    # -- lifecycle -------------------------------------------------------------------------
    def _apply(self, status: str, wall: float, extra: Dict[str, Any]) -> None:
        previous = self._status
        if previous in TERMINAL or previous == status:
            return
        self._status = status
        if status == "Running":
            self._event("StepEntered", self.step_name, wall,
                        {"input": self._json_or_empty(self.input)})
            return
        self.stopped_wall = wall
        self.pending = []
        if status == "Succeeded":
            if extra.get("output") is not None:
                self.output = extra["output"]
            elif self.output is None:
                self.output = self.input if self.input else "{}"
            if previous == "Running":
                self._event("StepExited", self.step_name, wall,
                            {"output": self._json_or_empty(self.output)})
            self._event("ExecutionSucceeded", None, wall,
                        {"output": self._json_or_empty(self.output)})
        else:
            if extra.get("output") is not None:
                self.output = extra["output"]
            detail = {"error": extra.get("error") or "", "cause": extra.get("cause") or ""}
            if previous == "Running" and status in ("Failed", "TimedOut"):
                self._event("StepFailed", self.step_name, wall, detail)
            self._event("Execution" + status, None, wall, detail)

    def notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def refresh(self, now: Optional[float] = None) -> bool:
        """Apply due scheduled transitions; return True when the status changed."""
        if not self.pending:
            return False
        now = time.monotonic() if now is None else now
        changed = False
        while self.pending and self.pending[0][0] <= now:
            at, status, extra = self.pending.pop(0)
            before = self._status
            self._apply(status, wall_from_mono(at), extra)
            changed = changed or before != self._status
        if changed:
            self.notify()
        return changed

    @property
    def status(self) -> str:
        self.refresh()
        return self._status

    def next_transition(self) -> Optional[float]:
        return self.pending[0][0] if self.pending else None

    def schedule(self, at: float, status: str, **extra: Any) -> None:
        self.pending.append((at, status, extra))
        self.pending.sort(key=lambda item: item[0])
        self.notify()  # long-polls recompute when to wake up

    def set_status(self, status: str, **extra: Any) -> None:
        """Move to status now (control surface / stop) and wake waiters."""
        self.refresh()
        if status in TERMINAL:
            self.pending = []
        else:
            self.pending = [p for p in self.pending if p[1] in TERMINAL]
        self._apply(status, time.time(), extra)
        self.notify()

    # -- views -----------------------------------------------------------------------------
    def to_api(self, metadata_only: bool = False) -> Dict[str, Any]:
        status = self.status
        out: Dict[str, Any] = {
            "Name": self.name,
            "FlowName": self.flow.name,
            "Status": status,
            "StartedTime": fmt_time(self.started_ms / 1000.0),
        }
        if not metadata_only:
            out["FlowDefinition"] = self.flow_definition
            if self.input is not None:
                out["Input"] = self.input
            if self.output is not None:
                out["Output"] = self.output
        if status in TERMINAL and self.stopped_wall is not None:
            out["StoppedTime"] = fmt_time(self.stopped_wall)
        return out

    def to_control(self) -> Dict[str, Any]:
        out = self.to_api()
        out["pending"] = [
            {"status": s, "in_seconds": round(max(0.0, at - time.monotonic()), 3)}
            for at, s, _extra in self.pending
        ]
        # Which version ran (null: the flow as it was, no Qualifier) and the Qualifier given
        # to StartExecution (a version number or an alias name); the API answers neither.
        out["flow_version"] = self.flow_version
        out["qualifier"] = self.qualifier
        return out

    def sort_key(self) -> Tuple[int, str]:
        return (self.started_ms, self.name)


class Store:
    def __init__(self) -> None:
        self.flows: Dict[str, Flow] = {}
        self.shutting_down = False

    def clear(self) -> None:
        for flow in self.flows.values():
            for ex in flow.executions.values():
                ex.notify()
        self.flows = {}

    def wake_all(self) -> None:
        for flow in self.flows.values():
            for ex in flow.executions.values():
                ex.notify()

    def shutdown(self) -> None:
        self.shutting_down = True
        self.wake_all()

    def create_flow(self, name: str, **kwargs: Any) -> Flow:
        flow = Flow(name, **kwargs)
        self.flows[name] = flow
        return flow

    def delete_flow(self, name: str) -> None:
        """Complete a flow's deletion: its in-progress executions stop (the service lets them
        finish their current step; the emulator has no steps to wait for), and the flow, its
        executions and its schedules are gone."""
        flow = self.flows.pop(name)
        for ex in flow.executions.values():
            if ex.status in IN_PROGRESS:
                ex.set_status("Stopped")
            ex.notify()
        flow.schedules = {}

    def complete_deletions(self, now: Optional[float] = None) -> None:
        """Finish every asynchronous DeleteFlow whose delay has passed."""
        now = time.monotonic() if now is None else now
        due = [f.name for f in self.flows.values() if f.delete_at is not None
               and f.delete_at <= now]
        for name in due:
            self.delete_flow(name)

    def start_execution(self, flow: Flow, name: str, input_: Optional[str],
                        status: str = "Starting", running_after: Optional[float] = None,
                        succeed_after: Optional[float] = None,
                        started_wall: Optional[float] = None,
                        version: Optional[FlowVersion] = None,
                        qualifier: Optional[str] = None,
                        finish_status: str = "Succeeded",
                        finish_extra: Optional[Dict[str, Any]] = None) -> Execution:
        """Create an execution in `status`. A Starting execution becomes Running after
        running_after seconds (None = never by itself, 0 = at once); an in-progress one
        becomes finish_status (Succeeded unless told otherwise, with finish_extra's output,
        error and cause) succeed_after seconds from now (None = runs until told)."""
        now = time.monotonic()
        if status == "Starting" and running_after is not None and running_after <= 0:
            status = "Running"
        initial = "Starting" if status in TERMINAL else status
        ex = Execution(self, flow, name, input_, status=initial, started_wall=started_wall,
                       version=version, qualifier=qualifier)
        flow.executions[name] = ex
        if status in TERMINAL:
            ex.set_status(status)
            return ex
        if status == "Starting" and running_after is not None:
            ex.schedule(now + running_after, "Running")
        if succeed_after is not None:
            ex.schedule(now + max(0.0, float(succeed_after)), finish_status,
                        **(finish_extra or {}))
        return ex

    async def wait_for_terminal(self, ex: Execution, timeout: float) -> None:
        """Return when ex is terminal, when timeout seconds passed, on shutdown or deletion."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if ex.status in TERMINAL or now >= deadline or self.shutting_down:
                return
            if self.flows.get(ex.flow.name) is not ex.flow or ex.flow.executions.get(
                    ex.name) is not ex:
                return
            wake_at = deadline
            nxt = ex.next_transition()
            if nxt is not None:
                wake_at = min(wake_at, nxt)
            event = ex.changed
            try:
                await asyncio.wait_for(event.wait(), max(0.0, wake_at - now) + 0.0005)
            except asyncio.TimeoutError:
                pass


def parse_status_time(value: str) -> float:
    """RFC 3339 -> epoch seconds (for seeded StartedTime)."""
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        raise ValueError("started_time needs a time zone (e.g. Z)")
    return dt.timestamp()
