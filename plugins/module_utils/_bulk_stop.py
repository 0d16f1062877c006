# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Stop every in-progress execution of a flow, and optionally wait until the service reports them finished.

Used by the cloudflow_execution module (O(filters)) and by anything else that must empty a flow first, such as a
forced flow deletion. A partial failure never raises: the outcome says which executions failed and why, and the
caller decides how to fail.

Waiting for one execution long-polls DescribeExecution. Waiting for several watches what is still in progress with
status-filtered ListExecutions pages instead: DescribeExecution is limited to 5 calls a second, so one long-poll
per execution would cost about N/5 seconds on top of the stops, while a page holds up to 99 executions.
"""

from __future__ import annotations

import os
import time
import typing as t
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import (
    EXECUTION_NOT_EXISTS,
    ApiError,
    CloudFlowError,
    ConfigurationError,
    WaitTimeout,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import (
    TERMINAL_STATUSES,
    describe_execution,
    execution_result,
    list_executions,
    list_in_progress_executions,
    request_stop,
    wait_until_finished,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._time import rfc3339_time

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

T = t.TypeVar("T")

# The watch polls quickly at first (most stops land within a second) and then backs off, so that a long wait does
# not spend the account's ListExecutions quota (2 calls a second, shared with every other client).
FIRST_POLL_INTERVAL = 0.5
MAX_POLL_INTERVAL = 10.0
POLL_BACKOFF = 1.5


class BulkStopOutcome:
    """What a bulk stop did: one entry per in-progress execution that matched, in start order."""

    def __init__(self, flow_name: str, executions: list[dict[str, t.Any]], check_mode: bool, waited: bool) -> None:
        self.flow_name = flow_name
        self.executions = executions
        self.check_mode = check_mode
        self.waited = waited

    @property
    def failed(self) -> list[dict[str, t.Any]]:
        """The entries that could not be stopped, or not waited for."""
        return [entry for entry in self.executions if entry["error"]]

    @property
    def stopped_count(self) -> int:
        return sum(1 for entry in self.executions if entry["changed"])

    @property
    def changed(self) -> bool:
        return self.stopped_count > 0

    def message(self) -> str:
        """One line: what was stopped, or which executions failed and why."""
        failed = self.failed
        if failed:
            details = "; ".join("{0}: {1}".format(entry["name"], error_text(entry["error"])) for entry in failed)
            return "Could not stop or wait for {0} of {1} execution(s) of flow {2!r} ({3} stop request(s) accepted): {4}".format(
                len(failed), len(self.executions), self.flow_name, self.stopped_count, details)
        verb = "Would stop" if self.check_mode else "Stopped"
        return "{0} {1} of {2} in-progress execution(s) of flow {3!r}".format(verb, self.stopped_count, len(self.executions), self.flow_name)


def error_text(error: t.Mapping[str, t.Any]) -> str:
    """An entry's error as one phrase, with the service's Code, Message and RequestId when there are any."""
    if error.get("code"):
        return "{0}: {1} (RequestId: {2})".format(error["code"], error.get("message"), error.get("request_id"))
    return str(error.get("message"))


def stop_in_progress(
    client: CloudFlowClient,
    flow_name: str,
    *,
    cause: t.Optional[str] = None,
    error: t.Optional[str] = None,
    check_mode: bool = False,
    concurrency: int = 4,
    wait: bool = False,
    wait_timeout: float = 300.0,
    name_prefix: t.Optional[str] = None,
    started_after: t.Optional[str] = None,
    started_before: t.Optional[str] = None,
    clock: t.Callable[[], float] = time.monotonic,
    sleep: t.Callable[[float], None] = time.sleep,
) -> BulkStopOutcome:
    """Stop every in-progress execution of the flow that matches the filters; in check mode only list them.

    ``cause`` and ``error`` are recorded by the service with each stop. ``started_after`` and ``started_before``
    are RFC 3339 times as the service writes them (the module normalised them with rfc3339_time). Listing errors
    (FlowNotExists, for example) raise ApiError: nothing was changed yet.
    """
    selected = list_in_progress_executions(client, flow_name, name_prefix or None, started_after, started_before)
    entries = [entry_for(execution, flow_name) for execution in selected]
    if not check_mode and entries:
        for_each(entries, concurrency, lambda entry: stop_entry(client, entry, cause, error))
        if wait:
            # One deadline for the whole task, however many executions there are.
            deadline = clock() + wait_timeout
            stopped = [entry for entry in entries if entry["changed"]]
            if len(stopped) == 1:
                _long_poll_one(client, flow_name, stopped[0], deadline, clock)
            elif stopped:
                watch_until_finished(client, flow_name, stopped, deadline, wait_timeout, started_after=started_after,
                                     started_before=started_before, clock=clock, sleep=sleep)
    return BulkStopOutcome(flow_name, entries, check_mode, waited=wait and not check_mode)


def entry_for(execution: t.Mapping[str, t.Any], flow_name: str) -> dict[str, t.Any]:
    """The result entry of an in-progress execution about to be stopped (status_after is updated as it goes)."""
    shaped = execution_result(execution)
    return {
        "name": shaped["name"],
        "flow_name": shaped["flow_name"] or flow_name,
        "status_before": shaped["status"],
        "status_after": shaped["status"],
        "changed": True,
        "started_time": shaped["started_time"],
        "input": shaped["input"],
        "error": None,
    }


def for_each(items: t.Sequence[T], concurrency: int, action: t.Callable[[T], None]) -> None:
    """Run action on every item with at most concurrency threads; an unexpected exception is raised here."""
    if not items:
        return
    workers = min(concurrency, len(items)) or 1
    if workers == 1:
        for item in items:
            action(item)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # list() re-raises any unexpected exception from a worker here, in the caller's thread.
        list(pool.map(action, items))


def stop_entry(client: CloudFlowClient, entry: dict[str, t.Any], cause: t.Optional[str], error: t.Optional[str]) -> None:
    """Stop one entry's execution; sets changed, status_after and error. Never raises a CloudFlowError.

    An execution that finished first (ExecutionAlreadyCompleted) or no longer exists is not a failure.
    """
    flow_name = entry["flow_name"]
    try:
        stopped_by_us, execution = request_stop(client, flow_name, entry["name"], cause, error)
        entry["changed"] = stopped_by_us
        entry["status_after"] = execution_result(execution)["status"]
    except ApiError as api_error:
        entry["changed"] = False
        if api_error.code == EXECUTION_NOT_EXISTS:
            # Gone (deleted with its flow, say) before its stop: nothing left to stop, and not a failure.
            entry["status_after"] = None
        else:
            entry["error"] = api_error.as_dict()
    except CloudFlowError as other_error:
        entry["changed"] = False
        entry["error"] = {"message": str(other_error)}


def _long_poll_one(client: CloudFlowClient, flow_name: str, entry: dict[str, t.Any], deadline: float, clock: t.Callable[[], float]) -> None:
    try:
        remaining = max(0.0, deadline - clock())
        execution = wait_until_finished(client, flow_name, entry["name"], remaining, clock=clock)
        entry["status_after"] = execution_result(execution)["status"]
    except CloudFlowError as wait_error:
        entry["error"] = {"message": str(wait_error)}
        last_status = getattr(wait_error, "last_status", None)
        if last_status:
            entry["status_after"] = last_status


def _narrowest_filters(entries: t.Sequence[t.Mapping[str, t.Any]]) -> tuple[t.Optional[str], t.Optional[str], t.Optional[str]]:
    """The longest common name prefix and the start-time range of the entries, to keep the final listing small.

    A time bound rounded to milliseconds may leave an entry out; the caller reads such an entry on its own.
    """
    prefix = os.path.commonprefix([entry["name"] for entry in entries]) or None
    started_times = []
    for entry in entries:
        try:
            started_times.append(rfc3339_time("started_time", entry["started_time"]))
        except ConfigurationError:
            started_times.append(None)
    if not started_times or None in started_times:
        return prefix, None, None
    known = t.cast("list[str]", started_times)
    return prefix, min(known), max(known)


def watch_until_finished(
    client: CloudFlowClient,
    flow_name: str,
    entries: list[dict[str, t.Any]],
    deadline: float,
    timeout: float,
    *,
    started_after: t.Optional[str] = None,
    started_before: t.Optional[str] = None,
    clock: t.Callable[[], float] = time.monotonic,
    sleep: t.Callable[[float], None] = time.sleep,
) -> None:
    """Wait until none of one flow's entries is in progress (watch_in_progress); an entry still in progress at the
    deadline gets a timeout error."""
    for entry in entries:
        entry.setdefault("flow_name", flow_name)
    still_running = watch_in_progress(client, entries, deadline, time_filters={flow_name: (started_after, started_before)},
                                      clock=clock, sleep=sleep)
    for entry in still_running:
        entry["error"] = {"message": str(WaitTimeout(flow_name, entry["name"], timeout, entry["status_after"]))}


def watch_in_progress(
    client: CloudFlowClient,
    entries: t.Sequence[dict[str, t.Any]],
    deadline: float,
    *,
    time_filters: t.Optional[t.Mapping[str, tuple[t.Optional[str], t.Optional[str]]]] = None,
    concurrency: int = 4,
    clock: t.Callable[[], float] = time.monotonic,
    sleep: t.Callable[[float], None] = time.sleep,
) -> list[dict[str, t.Any]]:
    """Wait until none of the entries (of one flow or many) is in progress, or the deadline; one deadline for all.

    Each poll lists, per flow, Starting and then Running executions (an execution moving between the two during a
    poll is still seen), with the flow's time filters (normalised as for the first listing, so an execution in
    progress is never missed) and the common name prefix of its entries; the flows of one poll are listed side by
    side (at most concurrency at once), all paced by the client's one quota budget. An entry that is no longer
    listed has finished; its final status comes from one listing of Stopped executions, and from DescribeExecution
    only for the few that finished some other way. Sets status_after of every entry. A listing that fails (after the
    client's retries) sets the error of that flow's entries still watched, and does not raise.

    Returns the entries still in progress at the deadline (their error is left to the caller).
    """
    time_filters = time_filters or {}
    pending: dict[str, dict[str, dict[str, t.Any]]] = defaultdict(dict)
    for entry in entries:
        pending[entry["flow_name"]][entry["name"]] = entry
    finished: dict[str, list[dict[str, t.Any]]] = defaultdict(list)
    interval = FIRST_POLL_INTERVAL

    def poll(flow_name: str) -> None:
        waiting = pending[flow_name]
        after, before = time_filters.get(flow_name, (None, None))
        prefix = os.path.commonprefix(list(waiting)) or None
        try:
            in_progress = {execution["Name"]: execution
                           for execution in list_in_progress_executions(client, flow_name, prefix, after, before)}
        except CloudFlowError as listing_error:
            _fail_all(waiting.values(), listing_error)
            waiting.clear()
            return
        for name in list(waiting):
            if name in in_progress:
                waiting[name]["status_after"] = execution_result(in_progress[name])["status"]
            else:
                finished[flow_name].append(waiting.pop(name))

    while True:
        for_each(sorted(pending), concurrency, poll)
        for flow_name in [flow for flow, waiting in pending.items() if not waiting]:
            del pending[flow_name]
        remaining = deadline - clock()
        if not pending or remaining <= 0:
            break
        sleep(min(interval, remaining))
        interval = min(interval * POLL_BACKOFF, MAX_POLL_INTERVAL)
    for flow_name, done in finished.items():
        _settle_final_status(client, flow_name, done)
    return [entry for waiting in pending.values() for entry in waiting.values()]


def _fail_all(entries: t.Iterable[dict[str, t.Any]], failure: CloudFlowError) -> None:
    for entry in entries:
        entry["error"] = failure.as_dict() if isinstance(failure, ApiError) else {"message": str(failure)}


def _settle_final_status(client: CloudFlowClient, flow_name: str, entries: list[dict[str, t.Any]]) -> None:
    """Record the final status of entries that are no longer in progress."""
    prefix, started_after, started_before = _narrowest_filters(entries)
    by_name = {entry["name"]: entry for entry in entries}
    try:
        for execution in list_executions(client, flow_name, "Stopped", prefix, started_after, started_before):
            entry = by_name.pop(execution.get("Name"), None)
            if entry is not None:
                entry["status_after"] = "Stopped"
            if not by_name:
                return
    except CloudFlowError:
        pass  # not fatal: each entry left is read on its own below
    for entry in by_name.values():
        try:
            found = describe_execution(client, flow_name, entry["name"])
        except CloudFlowError as read_error:
            _fail_all([entry], read_error)
            continue
        if found is None:
            entry["error"] = {"message": "Execution {0!r} of flow {1!r} disappeared while waiting for it".format(entry["name"], flow_name)}
        elif found.get("Status") in TERMINAL_STATUSES:
            entry["status_after"] = found["Status"]
        else:
            # Listed neither as in progress nor as finished (the listing lags): report what the service says now.
            entry["status_after"] = execution_result(found)["status"]
