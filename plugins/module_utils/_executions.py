# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""CloudFlow execution operations and the snake_case shape modules return."""

from __future__ import annotations

import json
import time
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import (
    EXECUTION_ALREADY_COMPLETED,
    EXECUTION_ALREADY_EXISTS,
    EXECUTION_NOT_EXISTS,
    ApiError,
    CloudFlowError,
    NotFoundError,
    WaitTimeout,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._client import iterate_pages

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

# An empty status was seen right after StartExecution in old service versions: treat it as Starting.
IN_PROGRESS_STATUSES = frozenset(("Starting", "Running", ""))
TERMINAL_STATUSES = frozenset(("Stopped", "Succeeded", "Failed", "TimedOut"))
ALL_STATUSES = ("Starting", "Running", "Stopped", "Succeeded", "Failed", "TimedOut")

# The service caps one long-poll at 60 seconds.
MAX_WAIT_TIME_SECONDS = 60
LIST_PAGE_SIZE = 99
HISTORY_PAGE_SIZE = 999
# The old CLI sample reports this StoppedTime for executions that have not stopped.
NOT_STOPPED_TIME = "1970-01-01T00:00:00Z"


def is_in_progress(execution: t.Mapping[str, t.Any]) -> bool:
    return execution.get("Status", "") in IN_PROGRESS_STATUSES


def _json_or_text(value: t.Any) -> t.Any:
    """Parse input/output when they hold JSON; keep anything else as the service sent it."""
    if not isinstance(value, str) or not value:
        return value if value != "" else None
    try:
        return json.loads(value)
    except ValueError:
        return value


def execution_result(execution: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Turn a service execution record into the snake_case shape every module returns."""
    stopped_time = execution.get("StoppedTime") or None
    if stopped_time == NOT_STOPPED_TIME:
        stopped_time = None
    return {
        "name": execution.get("Name"),
        "flow_name": execution.get("FlowName"),
        "status": execution.get("Status") or "Starting",
        "started_time": execution.get("StartedTime") or None,
        "stopped_time": stopped_time,
        "input": _json_or_text(execution.get("Input")),
        "output": _json_or_text(execution.get("Output")),
        "flow_definition": execution.get("FlowDefinition") or None,
    }


def require_execution(client: CloudFlowClient, flow_name: str, name: str, doing: str, wait_seconds: int = 0) -> dict[str, t.Any]:
    """The execution record; a missing execution raises NotFoundError (doing says what it prevents), which keeps the
    service's Code and RequestId. FlowNotExists is raised as it came."""
    params: dict[str, t.Any] = {"FlowName": flow_name, "ExecutionName": name}
    read_timeout = None
    if wait_seconds > 0:
        params["WaitTimeSeconds"] = wait_seconds
        read_timeout = wait_seconds + 15.0
    try:
        return client.call("DescribeExecution", params, read_timeout=read_timeout)
    except ApiError as error:
        if error.code == EXECUTION_NOT_EXISTS:
            raise NotFoundError(error, doing)
        raise


def describe_execution(client: CloudFlowClient, flow_name: str, name: str, wait_seconds: int = 0) -> t.Optional[dict[str, t.Any]]:
    """The execution record, or None when the execution does not exist. FlowNotExists is raised."""
    try:
        return require_execution(client, flow_name, name, "cannot be described", wait_seconds)
    except NotFoundError:
        return None


def request_stop(
    client: CloudFlowClient, flow_name: str, name: str, cause: t.Optional[str] = None, error: t.Optional[str] = None
) -> tuple[bool, dict[str, t.Any]]:
    """Ask the service to stop an execution; returns (whether this request stopped it, the execution).

    ExecutionAlreadyCompleted means it finished between our read and our stop: not a failure. When that answer
    came on a retry, the earlier attempt may have been applied with its reply lost, so a Stopped execution then
    counts as stopped by us.
    """
    params = {"FlowName": flow_name, "ExecutionName": name, "Cause": cause, "Error": error}
    try:
        return True, client.call("StopExecution", params)
    except ApiError as api_error:
        if api_error.code != EXECUTION_ALREADY_COMPLETED:
            raise
        execution = describe_execution(client, flow_name, name) or {"Name": name, "FlowName": flow_name}
        return api_error.attempts > 1 and execution.get("Status") == "Stopped", execution


def request_start(
    client: CloudFlowClient, flow_name: str, name: str, input_text: t.Optional[str] = None, qualifier: t.Optional[str] = None
) -> tuple[bool, dict[str, t.Any]]:
    """Start an execution (of a version or alias when qualifier is given); returns (whether this request started it,
    the execution).

    ExecutionAlreadyExists means an execution of that name finished in the meantime. On a retry, the earlier
    attempt was most likely ours, with its reply lost.
    """
    params = {"FlowName": flow_name, "ExecutionName": name, "Input": input_text, "Qualifier": qualifier}
    try:
        return True, client.call("StartExecution", params)
    except ApiError as api_error:
        if api_error.code != EXECUTION_ALREADY_EXISTS:
            raise
        execution = describe_execution(client, flow_name, name) or {"Name": name, "FlowName": flow_name}
        return api_error.attempts > 1, execution


def wait_until_finished(
    client: CloudFlowClient,
    flow_name: str,
    name: str,
    timeout: float,
    clock: t.Callable[[], float] = time.monotonic,
) -> dict[str, t.Any]:
    """Long-poll DescribeExecution until the execution is terminal; the server wakes us, so no fixed sleeps."""
    deadline = clock() + timeout
    last_status = ""
    while True:
        remaining = deadline - clock()
        wait_seconds = max(0, min(MAX_WAIT_TIME_SECONDS, int(remaining)))
        execution = describe_execution(client, flow_name, name, wait_seconds=wait_seconds)
        if execution is None:
            raise CloudFlowError("Execution {0!r} of flow {1!r} disappeared while waiting for it".format(name, flow_name))
        last_status = execution.get("Status", "")
        if last_status in TERMINAL_STATUSES:
            return execution
        if clock() >= deadline or wait_seconds == 0:
            raise WaitTimeout(flow_name, name, timeout, last_status)


def list_executions(
    client: CloudFlowClient,
    flow_name: str,
    status: t.Optional[str] = None,
    name_prefix: t.Optional[str] = None,
    started_after: t.Optional[str] = None,
    started_before: t.Optional[str] = None,
    qualifier: t.Optional[str] = None,
) -> t.Iterator[dict[str, t.Any]]:
    """Every execution of a flow matching the filters, across pages (iterate_pages says when a listing ends).

    qualifier is a version number or an alias name; what the service matches for executions routed through an alias
    is not documented (reference 3.1, UNCERTAIN).
    """
    params: dict[str, t.Any] = {
        "FlowName": flow_name,
        "Status": status,
        "ExecutionNamePrefix": name_prefix,
        "StartedTimeBegin": started_after,
        "StartedTimeEnd": started_before,
        "Qualifier": qualifier,
    }
    return iterate_pages(client, "ListExecutions", params, "Executions", LIST_PAGE_SIZE)


def list_in_progress_executions(
    client: CloudFlowClient,
    flow_name: str,
    name_prefix: t.Optional[str] = None,
    started_after: t.Optional[str] = None,
    started_before: t.Optional[str] = None,
    qualifier: t.Optional[str] = None,
) -> list[dict[str, t.Any]]:
    """In-progress executions, one status-filtered pass per status.

    Starting is listed before Running so that an execution moving from one to the other between the passes is
    still seen; an execution listed twice is kept once.
    """
    found: dict[str, dict[str, t.Any]] = {}
    for status in ("Starting", "Running"):
        for execution in list_executions(client, flow_name, status, name_prefix, started_after, started_before, qualifier):
            found[execution["Name"]] = execution
    return sorted(found.values(), key=lambda execution: (execution.get("StartedTime") or "", execution["Name"]))


def execution_history(client: CloudFlowClient, flow_name: str, name: str) -> list[dict[str, t.Any]]:
    """Every history event of an execution, in snake_case, across pages."""
    params = {"FlowName": flow_name, "ExecutionName": name}
    return [
        {
            "event_id": event.get("EventId"),
            "schedule_event_id": event.get("ScheduleEventId"),
            "type": event.get("Type"),
            "step_name": event.get("StepName"),
            "time": event.get("Time"),
            "event_detail": _json_or_text(event.get("EventDetail")),
        }
        for event in iterate_pages(client, "GetExecutionHistory", params, "Events", HISTORY_PAGE_SIZE)
    ]
