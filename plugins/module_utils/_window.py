# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A maintenance window in one process: quiesce (close the door, empty the room) and resume (open it again).

quiesce: select the flows, read their schedules and in-progress executions, write all of that to the record as
pending (write-ahead), disable the enabled schedules, optionally let the executions finish by themselves for a
while (drain), stop what is left, and wait, all with one quota budget per action (the one client) and one deadline
for the whole window. The record is rewritten after each batch with what was done.

resume: read the record, read the live state of everything in it, re-enable exactly the recorded schedules that
are still the same schedules and still disabled, optionally start one catch-up execution per re-enabled schedule
and a replacement per stopped execution, and mark the record resumed when nothing is left.

Neither raises on a partial failure: the outcome lists, per schedule and per execution, what was done or why not;
the module decides how to fail. Errors before any write (a flow that does not exist, a record of another version)
are raised.
"""

from __future__ import annotations

import time
import typing as t
from datetime import datetime, timedelta

from ansible_collections.seed.cloudflow.plugins.module_utils import _record_file
from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import (
    entry_for,
    error_text,
    for_each,
    stop_entry,
    watch_in_progress,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._cron import count_fire_times, latest_fire_time
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import (
    FLOW_NOT_EXISTS,
    SCHEDULE_NOT_EXISTS,
    ApiError,
    CloudFlowError,
    RecordError,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import (
    TERMINAL_STATUSES,
    describe_execution,
    execution_result,
    list_in_progress_executions,
    request_start,
    wait_until_finished,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._flows import list_flows
from ansible_collections.seed.cloudflow.plugins.module_utils._schedules import (
    list_schedules,
    payload_text,
    schedule_result,
    update_schedule,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._time import aware_moment, utc_now, utc_text
from ansible_collections.seed.cloudflow.plugins.module_utils._window_record import (
    RESUMED,
    Delta,
    apply,
    check_record,
    left_to_do,
)

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

# Stops are sent in batches; the record is rewritten after each one.
STOP_BATCH = 50
# A schedule may start an execution between the listing and its disabling; the flow is listed again when one of its
# disabled schedules could have fired in that span, widened by this much for clock differences and start latency.
FIRE_MARGIN = timedelta(minutes=2)
SKIPPED_FIRES_SHOWN = 5
CATCH_UP_INFIX = "-catch-up-"


class Settings(t.NamedTuple):
    """The window's options, already checked by the module."""

    state: str
    flows: t.Sequence[str] = ()
    flow_prefix: t.Optional[str] = None
    schedules: bool = True
    name_prefix: t.Optional[str] = None
    cause: t.Optional[str] = None
    error: t.Optional[str] = None
    wait: bool = True
    wait_timeout: float = 300.0
    drain_timeout: float = 0.0
    concurrency: int = 4
    record_path: t.Optional[str] = None
    record: t.Optional[t.Mapping[str, t.Any]] = None
    missing_ok: bool = False
    catch_up: str = "none"
    restart_stopped: bool = False
    restart_suffix: t.Optional[str] = None
    restart_executions: t.Sequence[t.Mapping[str, t.Any]] = ()
    lock_timeout: float = 30.0


class Keeper:
    """Where the record lives: a file (written under its lock), or only in memory (record given as data, or none).

    In check mode nothing is written: the record shows what a real run would have made of it.
    """

    def __init__(self, settings: Settings, delta: Delta, check_mode: bool, now: t.Callable[[], datetime]) -> None:
        self.path = settings.record_path
        self.lock_timeout = settings.lock_timeout
        self.delta = delta
        self.check_mode = check_mode
        self._now = now
        self.source = self.path or "the record given as data"
        self.base = None  # type: t.Optional[dict[str, t.Any]]
        self.record = None  # type: t.Optional[dict[str, t.Any]]
        self.writes = 0
        if self.path:
            _record_file.check_location(self.path)
            self.base = _record_file.read_json(self.path)
        elif settings.record is not None:
            self.base = dict(settings.record)
        if self.base is not None:
            self.base = check_record(self.base, self.source)
        self.record = self.base

    @property
    def persistent(self) -> bool:
        return bool(self.path) and not self.check_mode

    def commit(self) -> dict[str, t.Any]:
        """Write this run's delta (merged into the file as it is now); returns the record as it now stands."""
        now = utc_text(self._now())
        if self.persistent and self.path:
            self.record = _record_file.update_json(
                self.path, lambda current: apply(current, self.delta, now, self.source), self.lock_timeout)
            self.writes += 1
        else:
            self.record = apply(self.base, self.delta, now, self.source)
        return self.record


class Outcome:
    """What a window run did: per schedule, per execution, catch-up and replacement, and the record."""

    def __init__(self, state: str, check_mode: bool) -> None:
        self.state = state
        self.check_mode = check_mode
        self.flows = []  # type: list[str]
        self.schedules = []  # type: list[dict[str, t.Any]]
        self.executions = []  # type: list[dict[str, t.Any]]
        self.catch_up = []  # type: list[dict[str, t.Any]]
        self.restarted = []  # type: list[dict[str, t.Any]]
        self.warnings = []  # type: list[str]
        self.record = None  # type: t.Optional[dict[str, t.Any]]
        self.record_written = False
        self.record_created = False
        self.remaining = None  # type: t.Optional[dict[str, list[dict[str, t.Any]]]]
        self.msg = ""

    @property
    def failures(self) -> list[dict[str, t.Any]]:
        found = []
        for kind, entries in (("schedule", self.schedules), ("execution", self.executions),
                              ("catch_up", self.catch_up), ("restart", self.restarted)):
            for entry in entries:
                if entry.get("outcome") == "failed" or entry.get("error"):
                    found.append({"kind": kind, "flow_name": entry.get("flow_name"), "name": entry.get("name"),
                                  "reason": error_text(entry["error"]) if entry.get("error") else "failed"})
        return found

    @property
    def changed(self) -> bool:
        return (any(entry.get("changed") for entries in (self.schedules, self.executions, self.catch_up, self.restarted)
                    for entry in entries) or self.record_created)

    def result(self) -> dict[str, t.Any]:
        return {
            "changed": self.changed,
            "msg": self.msg,
            "state": self.state,
            "flows": self.flows,
            "schedules": self.schedules,
            "executions": self.executions,
            "catch_up": self.catch_up,
            "restarted": self.restarted,
            "failures": self.failures,
            "record": self.record,
            **({"remaining": self.remaining} if self.state == "resumed" else {}),
        }


def _api_error(error: CloudFlowError) -> dict[str, t.Any]:
    return error.as_dict() if isinstance(error, ApiError) else {"message": str(error)}


def _count(entries: t.Iterable[t.Mapping[str, t.Any]], outcome: str) -> int:
    return sum(1 for entry in entries if entry.get("outcome") == outcome)


def _chunks(items: t.Sequence[t.Any], size: int) -> t.Iterator[t.Sequence[t.Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------------------------------------------------- quiesce

class Quiesce:
    def __init__(
        self,
        client: CloudFlowClient,
        settings: Settings,
        *,
        check_mode: bool = False,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] = time.sleep,
        now: t.Callable[[], datetime] = utc_now,
    ) -> None:
        self.client = client
        self.settings = settings
        self.check_mode = check_mode
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self.run_time = utc_text(now())
        self.delta = Delta("quiesced", self.run_time, settings.cause, check_mode)
        self.keeper = Keeper(settings, self.delta, check_mode, now)
        self.outcome = Outcome("quiesced", check_mode)

    # -- reading ---------------------------------------------------------------------------------------------

    def select_flows(self) -> list[str]:
        flows = list(self.settings.flows)
        if self.settings.flow_prefix:
            flows.extend(name for name in (flow.get("Name") for flow in list_flows(self.client, self.settings.flow_prefix))
                         if isinstance(name, str) and name not in flows)
        return flows

    def _list_executions(self, flow: str) -> list[dict[str, t.Any]]:
        executions = list_in_progress_executions(self.client, flow, self.settings.name_prefix or None)
        return [entry_for(execution, flow) for execution in executions]

    def read(self, flows: list[str]) -> dict[str, dict[str, t.Any]]:
        """Every flow's schedules and in-progress executions, read side by side; raises before anything is written
        when a named flow does not exist (a flow found with the prefix that vanished since is skipped)."""
        listing: dict[str, dict[str, t.Any]] = {}

        def read_flow(flow: str) -> None:
            try:
                schedules = [schedule_result(raw, flow) for raw in list_schedules(self.client, flow)] if self.settings.schedules else []
                listed_at = self.now()
                executions = self._list_executions(flow)
            except ApiError as error:
                if error.code == FLOW_NOT_EXISTS:
                    listing[flow] = {"missing": error}
                    return
                raise
            listing[flow] = {"schedules": schedules, "executions": executions, "listed_at": listed_at}

        for_each(flows, self.settings.concurrency, read_flow)
        missing = [flow for flow in flows if "missing" in listing[flow]]
        named_missing = [flow for flow in missing if flow in self.settings.flows]
        if named_missing:
            first = listing[named_missing[0]]["missing"]
            raise CloudFlowError("Flow(s) {0} do not exist ({1} answered {2}, RequestId: {3}); nothing was changed".format(
                ", ".join(repr(flow) for flow in named_missing), first.action, first.code, first.request_id))
        for flow in missing:
            self.outcome.warnings.append("Flow {0!r} disappeared after it was listed; it was skipped".format(flow))
            del listing[flow]
        return listing

    # -- the run ---------------------------------------------------------------------------------------------

    def run(self) -> Outcome:
        flows = self.select_flows()
        listing = self.read(flows)
        flows = [flow for flow in flows if flow in listing]
        self.outcome.flows = flows
        self.delta.add_flows(flows)
        to_disable = []  # type: list[dict[str, t.Any]]
        for flow in flows:
            for schedule in listing[flow]["schedules"]:
                if schedule["enabled"]:
                    to_disable.append(self._record_schedule(schedule))
                else:
                    self.outcome.schedules.append(self._report_schedule(schedule, "already_disabled", changed=False))
        executions = [entry for flow in flows for entry in listing[flow]["executions"]]
        for entry in executions:
            self._record_execution(entry, "pending")
        # Write-ahead: everything this run is about to change is on file before the first write to the service.
        self._commit_first()

        schedule_failures = self.disable(to_disable)
        if schedule_failures:
            for entry in executions:
                self._report_execution(entry, "failed", error={"message": "not stopped: {0} schedule(s) could not be disabled, "
                                                                          "and a schedule left enabled could start new work".format(schedule_failures)})
            self.keeper.commit()
            return self.finish()
        executions.extend(self.relist(flows, listing, to_disable, executions))
        remaining = self.drain(executions)
        stopped = self.stop(remaining)
        self.wait(stopped)
        if self.keeper.writes or not self.keeper.persistent:
            self.keeper.commit()
        return self.finish()

    def _commit_first(self) -> None:
        """The write-ahead write; skipped when a record of this open window exists and this run has nothing to add."""
        base = self.keeper.base
        new_window = base is None or base.get("state") == RESUMED
        if new_window or self.delta.schedules or self.delta.executions or not self.keeper.persistent:
            self.keeper.commit()
            self.outcome.record_created = new_window and bool(self.settings.record_path)
        else:
            self.keeper.record = base

    def _record_schedule(self, schedule: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        return self.delta.schedule({
            "flow_name": schedule["flow_name"], "name": schedule["name"], "id": schedule["id"],
            "created_time": schedule["created_time"], "cron_expression": schedule["cron_expression"],
            "payload": schedule["payload"], "disabled_time": self.run_time, "state": "pending", "error": None,
        })

    def _record_execution(self, entry: dict[str, t.Any], state: str) -> None:
        self.delta.execution({
            "flow_name": entry["flow_name"], "name": entry["name"], "input": entry["input"],
            "started_time": entry["started_time"], "status_before": entry["status_before"],
            "status_after": entry["status_after"], "state": state,
            "error": entry["error"],
        })

    @staticmethod
    def _report_schedule(schedule: t.Mapping[str, t.Any], outcome: str, changed: bool, error: t.Any = None) -> dict[str, t.Any]:
        return {"flow_name": schedule["flow_name"], "name": schedule["name"], "outcome": outcome, "changed": changed,
                "cron_expression": schedule.get("cron_expression"), "error": error}

    def _report_execution(self, entry: dict[str, t.Any], outcome: str, error: t.Any = None) -> None:
        entry["outcome"] = outcome
        if error is not None:
            entry["error"] = error
        entry["changed"] = outcome == "stopped"
        self.outcome.executions.append(entry)

    def disable(self, to_disable: list[dict[str, t.Any]]) -> int:
        """Disable the schedules; returns how many could not be disabled."""
        reports = {}  # type: dict[tuple[str, str], dict[str, t.Any]]

        def disable_one(schedule: dict[str, t.Any]) -> None:
            key = (schedule["flow_name"], schedule["name"])
            if self.check_mode:
                schedule.update(state="disabled")  # the record as a real run would leave it; nothing is written
                reports[key] = self._report_schedule(schedule, "disabled", changed=True)
                return
            try:
                update_schedule(self.client, schedule["flow_name"], schedule["name"], enabled=False)
            except ApiError as error:
                if error.code in (SCHEDULE_NOT_EXISTS, FLOW_NOT_EXISTS):
                    schedule.update(state="gone")
                    reports[key] = self._report_schedule(schedule, "gone", changed=False)
                    return
                schedule.update(state="failed", error=error.as_dict())
                reports[key] = self._report_schedule(schedule, "failed", changed=False, error=error.as_dict())
                return
            except CloudFlowError as error:
                schedule.update(state="failed", error={"message": str(error)})
                reports[key] = self._report_schedule(schedule, "failed", changed=False, error={"message": str(error)})
                return
            schedule.update(state="disabled", error=None)
            reports[key] = self._report_schedule(schedule, "disabled", changed=True)

        for_each(to_disable, self.settings.concurrency, disable_one)
        for schedule in to_disable:
            self.outcome.schedules.append(reports[(schedule["flow_name"], schedule["name"])])
        if to_disable and not self.check_mode:
            self.keeper.commit()
        return sum(1 for schedule in to_disable if schedule["state"] == "failed")

    def relist(self, flows: list[str], listing: dict[str, dict[str, t.Any]], disabled: list[dict[str, t.Any]],
               known: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """Executions a schedule started between the listing and its disabling: the flows whose disabled schedules
        could have fired in that span are listed again, and what is new is recorded before it is stopped."""
        until = self.now() + FIRE_MARGIN
        flows_to_list = []
        for flow in flows:
            after = listing[flow]["listed_at"] - FIRE_MARGIN
            for schedule in disabled:
                if schedule["flow_name"] == flow and schedule["state"] == "disabled" and _could_fire(schedule, after, until):
                    flows_to_list.append(flow)
                    break
        if not flows_to_list:
            return []
        seen = {(entry["flow_name"], entry["name"]) for entry in known}
        new = []  # type: list[dict[str, t.Any]]

        def list_again(flow: str) -> None:
            try:
                found = self._list_executions(flow)
            except CloudFlowError as error:
                self.outcome.warnings.append("Could not list flow {0!r} again after disabling its schedules: {1}".format(flow, error))
                return
            new.extend(entry for entry in found if (entry["flow_name"], entry["name"]) not in seen)

        for_each(flows_to_list, self.settings.concurrency, list_again)
        for entry in new:
            self._record_execution(entry, "pending")
        if new and not self.check_mode:
            self.keeper.commit()
        return new

    def drain(self, executions: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """Let the executions finish by themselves for up to drain_timeout; returns those still in progress."""
        if self.settings.drain_timeout <= 0 or not executions or self.check_mode:
            return executions
        deadline = self.clock() + self.settings.drain_timeout
        still_running = watch_in_progress(self.client, executions, deadline, concurrency=self.settings.concurrency,
                                          clock=self.clock, sleep=self.sleep)
        running_keys = {(entry["flow_name"], entry["name"]) for entry in still_running}
        remaining = []
        for entry in executions:
            if (entry["flow_name"], entry["name"]) in running_keys or entry["error"]:
                # Still running, or not known to have finished (a listing failed): stop it; a stop of an execution
                # that has finished is answered ExecutionAlreadyCompleted, which is no failure.
                entry["error"] = None
                remaining.append(entry)
            else:
                self._record_execution(entry, "finished_by_itself")
                self._report_execution(entry, "finished_by_itself")
        self.keeper.commit()
        return remaining

    def stop(self, executions: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """Stop the executions in batches, the record rewritten after each; returns those this run stopped."""
        if self.check_mode:
            for entry in executions:
                entry["status_after"] = "Stopped"
                self._record_execution(entry, "stopped")
                self._report_execution(entry, "stopped")
            return []
        stopped = []
        for batch in _chunks(executions, STOP_BATCH):
            for_each(batch, self.settings.concurrency, lambda entry: stop_entry(self.client, entry, self.settings.cause, self.settings.error))
            for entry in batch:
                if entry["error"]:
                    self._record_execution(entry, "failed")
                    self._report_execution(entry, "failed")
                elif entry["changed"]:
                    self._record_execution(entry, "stopped")
                    self._report_execution(entry, "stopped")
                    stopped.append(entry)
                elif entry["status_after"] is None:
                    self._record_execution(entry, "gone")
                    self._report_execution(entry, "gone")
                else:
                    # ExecutionAlreadyCompleted: it finished between the listing and the stop.
                    self._record_execution(entry, "finished_by_itself")
                    self._report_execution(entry, "finished_by_itself")
            self.keeper.commit()
        return stopped

    def wait(self, stopped: list[dict[str, t.Any]]) -> None:
        if not self.settings.wait or not stopped:
            return
        deadline = self.clock() + self.settings.wait_timeout
        still_running = watch_in_progress(self.client, stopped, deadline, concurrency=self.settings.concurrency,
                                          clock=self.clock, sleep=self.sleep)
        for entry in still_running:
            entry["error"] = {"message": "stop accepted, but still {0} after wait_timeout ({1:g} s, for the whole window)".format(
                entry["status_after"], self.settings.wait_timeout)}
        for entry in stopped:
            self._record_execution(entry, "stopped")

    def finish(self) -> Outcome:
        outcome = self.outcome
        outcome.record = self.keeper.record
        outcome.record_written = self.keeper.writes > 0
        schedules, executions = outcome.schedules, outcome.executions
        disable, stop = ("would disable", "would stop") if self.check_mode else ("disabled", "stopped")
        parts = ["{0} {1} schedule(s)".format(disable, _count(schedules, "disabled")),
                 "{0} {1} execution(s)".format(stop, _count(executions, "stopped"))]
        extra = []
        for label, count in (("already disabled", _count(schedules, "already_disabled")),
                             ("finished by themselves", _count(executions, "finished_by_itself")),
                             ("gone", _count(schedules, "gone") + _count(executions, "gone"))):
            if count:
                extra.append("{0} {1}".format(count, label))
        text = "{0} of {1} flow(s){2}".format(" and ".join(parts), len(outcome.flows), " ({0})".format(", ".join(extra)) if extra else "")
        text = text[0].upper() + text[1:]
        where = "; record {0}".format(self.settings.record_path) if self.settings.record_path else ""
        failures = outcome.failures
        if failures:
            outcome.msg = "The quiesce is incomplete: {0} failure(s): {1}. {2}{3}; run it again to finish (the record keeps what was done).".format(
                len(failures), "; ".join("{0} {1}/{2}: {3}".format(item["kind"], item["flow_name"], item["name"], item["reason"])
                                         for item in failures[:10]), text, where)
        else:
            outcome.msg = text + where
        return outcome


def _could_fire(schedule: t.Mapping[str, t.Any], after: datetime, until: datetime) -> bool:
    expression = schedule.get("cron_expression")
    if not expression:
        return True
    try:
        return latest_fire_time(expression, after, until, anchor=aware_moment(schedule.get("created_time"))) is not None
    except (CloudFlowError, ValueError):
        return True  # an expression this host cannot evaluate: list again to be safe


# ----------------------------------------------------------------------------------------------------------- resume

class Resume:
    def __init__(
        self,
        client: CloudFlowClient,
        settings: Settings,
        *,
        check_mode: bool = False,
        clock: t.Callable[[], float] = time.monotonic,
        now: t.Callable[[], datetime] = utc_now,
    ) -> None:
        self.client = client
        self.settings = settings
        self.check_mode = check_mode
        self.clock = clock
        self.now = now
        self.run_moment = now()
        self.run_time = utc_text(self.run_moment)
        self.delta = Delta("resumed", self.run_time, None, check_mode)
        self.keeper = Keeper(settings, self.delta, check_mode, now)
        self.outcome = Outcome("resumed", check_mode)

    def run(self) -> Outcome:
        record = self.keeper.record
        if record is None:
            if self.settings.record_path and not self.settings.missing_ok:
                raise RecordError(self.settings.record_path, "there is no record at this path; nothing was resumed",
                                  hint="check the path (it is the record_path of the quiesce), or set missing_ok: true if "
                                       "a missing record means there is nothing to resume.")
            if not self.settings.restart_executions:
                self.outcome.msg = "No record{0}: nothing to resume".format(
                    " at {0}".format(self.settings.record_path) if self.settings.record_path else "")
                return self.outcome
        elif record["state"] == RESUMED:
            self.outcome.record = record
            self.outcome.flows = list(record.get("flows") or [])
            self.outcome.msg = "The window of {0} was already resumed at {1}; nothing to do".format(
                self.settings.record_path or "this record", record.get("resumed_time"))
            self.restart_extra()
            return self.outcome
        todo = left_to_do(record, self.settings.restart_stopped) if record else {"schedules": [], "executions": [], "catch_up": []}
        if record:
            self.outcome.flows = list(record.get("flows") or [])
            self.delta.add_flows(self.outcome.flows)
        enabled = self.enable(todo["schedules"] if self.settings.schedules else [])
        self.catch_up(enabled, todo["catch_up"])
        self.restart(todo["executions"])
        self.restart_extra()
        if record is not None:
            # Stopped executions are only replaced when asked (restart_stopped); they do not keep the window open.
            nothing_left = not self.outcome.failures and self.settings.schedules
            self.delta.finish_window = nothing_left
            if self.keeper.persistent or self.keeper.record is not None:
                self.keeper.commit()
            if nothing_left and not self.delta.window_finished and not self.check_mode:
                self.outcome.warnings.append("Entries were added to {0} while this resume ran; run the resume again to "
                                             "resume them too".format(self.keeper.source))
        return self.finish()

    # -- schedules ---------------------------------------------------------------------------------------------

    def enable(self, entries: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """Re-enable the recorded schedules that are still the same, still disabled schedules; returns the report
        entries of those this run enabled."""
        live: dict[str, t.Any] = {}

        def read_flow(flow: str) -> None:
            try:
                live[flow] = {raw.get("ScheduleName"): schedule_result(raw, flow) for raw in list_schedules(self.client, flow)}
            except ApiError as error:
                live[flow] = {} if error.code == FLOW_NOT_EXISTS else error
            except CloudFlowError as error:
                live[flow] = error

        flows = sorted({entry["flow_name"] for entry in entries})
        for_each(flows, self.settings.concurrency, read_flow)
        to_enable = []
        for entry in entries:
            schedules = live[entry["flow_name"]]
            if isinstance(schedules, CloudFlowError):
                self._schedule(entry, "failed", error=_api_error(schedules))
                continue
            current = schedules.get(entry["name"])
            if current is None:
                self._schedule(entry, "gone")
                self.outcome.warnings.append("Schedule {0!r} of flow {1!r} no longer exists; it was dropped from the record".format(
                    entry["name"], entry["flow_name"]))
            elif _replaced(entry, current):
                self._schedule(entry, "replaced")
                self.outcome.warnings.append(
                    "Schedule {0!r} of flow {1!r} was deleted and created again during the window (created {2}, recorded {3}); "
                    "it was left as it is".format(entry["name"], entry["flow_name"], current["created_time"], entry.get("created_time")))
            elif current["enabled"]:
                self._schedule(entry, "already_enabled")
            else:
                to_enable.append(entry)

        def enable_one(entry: dict[str, t.Any]) -> None:
            if self.check_mode:
                return
            try:
                update_schedule(self.client, entry["flow_name"], entry["name"], enabled=True)
            except ApiError as error:
                entry["_error"] = None if error.code in (SCHEDULE_NOT_EXISTS, FLOW_NOT_EXISTS) else error.as_dict()
                entry["_gone"] = entry["_error"] is None
            except CloudFlowError as error:
                entry["_error"] = {"message": str(error)}

        for_each(to_enable, self.settings.concurrency, enable_one)
        enabled = []
        for entry in to_enable:
            if entry.pop("_gone", False):
                entry.pop("_error", None)
                self._schedule(entry, "gone")
            elif entry.get("_error"):
                self._schedule(entry, "failed", error=entry.pop("_error"))
            else:
                entry.pop("_error", None)
                enabled.append(self._schedule(entry, "enabled", changed=True, skipped=True))
        if entries and self.keeper.persistent:
            self.keeper.commit()
        return enabled

    def _schedule(self, entry: t.Mapping[str, t.Any], outcome: str, changed: bool = False, error: t.Any = None,
                  skipped: bool = False) -> dict[str, t.Any]:
        self.delta.schedule({"flow_name": entry["flow_name"], "name": entry["name"], "resumed": outcome,
                             "resumed_time": self.run_time, "error": error})
        report = {"flow_name": entry["flow_name"], "name": entry["name"], "outcome": outcome, "changed": changed,
                  "cron_expression": entry.get("cron_expression"), "disabled_time": entry.get("disabled_time"),
                  "payload": entry.get("payload"), "created_time": entry.get("created_time"), "error": error}
        if skipped:
            report["skipped_fires"] = self._skipped_fires(entry)
        self.outcome.schedules.append(report)
        return report

    def _skipped_fires(self, entry: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The fires the window skipped, from when the schedule was disabled to now, computed locally."""
        since = aware_moment(entry.get("disabled_time"))
        shown: dict[str, t.Any] = {"count": None, "first": [], "since": entry.get("disabled_time"), "until": self.run_time}
        if since is None or not entry.get("cron_expression"):
            return shown
        try:
            count, first = count_fire_times(entry["cron_expression"], since, self.run_moment,
                                            anchor=aware_moment(entry.get("created_time")), keep=SKIPPED_FIRES_SHOWN)
        except (CloudFlowError, ValueError) as error:
            shown["error"] = str(error)
            return shown
        shown.update(count=count, first=[utc_text(fire) for fire in first])
        return shown

    # -- catch-up ----------------------------------------------------------------------------------------------

    def catch_up(self, enabled: list[dict[str, t.Any]], planned_before: list[dict[str, t.Any]]) -> None:
        """One execution per re-enabled schedule for its last fire in the window (catch_up: latest), and the catch-up
        executions an earlier resume planned but could not start."""
        plan = [dict(entry) for entry in planned_before]
        if self.settings.catch_up == "latest":
            for schedule in enabled:
                since = aware_moment(schedule.get("disabled_time"))
                if since is None:
                    continue
                try:
                    fire = latest_fire_time(schedule["cron_expression"], since, self.run_moment,
                                            anchor=aware_moment(schedule.get("created_time")))
                except (CloudFlowError, ValueError) as error:
                    self.outcome.warnings.append("No catch-up for schedule {0!r} of flow {1!r}: {2}".format(
                        schedule["name"], schedule["flow_name"], error))
                    continue
                if fire is None:
                    continue
                fire_time = utc_text(fire)
                plan.append({"flow_name": schedule["flow_name"], "schedule_name": schedule["name"], "fire_time": fire_time,
                             "name": catch_up_name(schedule["name"], fire_time), "input": schedule.get("payload"),
                             "state": "pending", "error": None})
        if not plan:
            return
        for entry in plan:
            self.delta.catch_up_entry(entry)
        if self.keeper.persistent:
            self.keeper.commit()  # write-ahead: the planned names survive an interrupted resume

        def start_one(entry: dict[str, t.Any]) -> None:
            entry["changed"], entry["status"], entry["error"] = self._start(entry["flow_name"], entry["name"], entry.get("input"))

        for_each(plan, self.settings.concurrency, start_one)
        for entry in plan:
            entry["outcome"] = "failed" if entry["error"] else "started"
            self.delta.catch_up_entry({"name": entry["name"], "state": entry["outcome"], "error": entry["error"]})
            self.outcome.catch_up.append(entry)

    def _start(self, flow: str, name: str, input_value: t.Any) -> tuple[bool, t.Optional[str], t.Any]:
        """Start an execution unless one of that name exists: (whether this run started it, its status, error)."""
        try:
            existing = describe_execution(self.client, flow, name)
            if existing is not None:
                return False, execution_result(existing)["status"], None
            if self.check_mode:
                return True, None, None
            started, execution = request_start(self.client, flow, name, _input_text(input_value))
            return started, execution_result(execution)["status"], None
        except CloudFlowError as error:
            return False, None, _api_error(error)

    # -- replacements --------------------------------------------------------------------------------------------

    def restart(self, entries: list[dict[str, t.Any]]) -> None:
        """A replacement for each execution this window stopped; a pending entry (a quiesce interrupted around its
        stop) is looked up first and replaced only when it was stopped."""
        if not entries:
            return
        candidates = []  # type: list[dict[str, t.Any]]

        def check_pending(entry: dict[str, t.Any]) -> None:
            try:
                execution = describe_execution(self.client, entry["flow_name"], entry["name"])
            except CloudFlowError as error:
                entry["_error"] = _api_error(error)
                return
            entry["_status"] = execution_result(execution)["status"] if execution is not None else None

        pending = [dict(entry) for entry in entries if entry.get("state") == "pending"]
        for_each(pending, self.settings.concurrency, check_pending)
        for entry in pending:
            if entry.get("_error"):
                self.outcome.restarted.append(self._restart_report(entry, None, False, entry["_error"]))
            elif entry.get("_status") == "Stopped":
                candidates.append(entry)
                self.delta.execution({"flow_name": entry["flow_name"], "name": entry["name"], "state": "stopped",
                                      "status_after": "Stopped"})
            elif entry.get("_status") in TERMINAL_STATUSES or entry.get("_status") is None:
                self.delta.execution({"flow_name": entry["flow_name"], "name": entry["name"],
                                      "state": "finished_by_itself" if entry.get("_status") else "gone",
                                      "status_after": entry.get("_status")})
        candidates.extend(dict(entry) for entry in entries if entry.get("state") == "stopped")
        self._replace(candidates, record=True)

    def restart_extra(self) -> None:
        """Replacements for the executions given in restart_executions (not recorded in the window)."""
        self._replace([dict(entry) for entry in self.settings.restart_executions], record=False)

    def _replace(self, originals: list[dict[str, t.Any]], record: bool) -> None:
        if not originals:
            return
        suffix = self.settings.restart_suffix or ""

        def replace_one(original: dict[str, t.Any]) -> None:
            name = original["name"] + suffix
            changed, original["_replacement_status"], error = self._start(original["flow_name"], name, original.get("input"))
            if not error and self.settings.wait and not self.check_mode:
                deadline_left = max(0.0, self._wait_deadline - self.clock())
                try:
                    execution = wait_until_finished(self.client, original["flow_name"], name, deadline_left, clock=self.clock)
                    original["_replacement_status"] = execution_result(execution)["status"]
                except CloudFlowError as wait_error:
                    error = {"message": str(wait_error)}
            original["_report"] = self._restart_report(original, name, changed, error)

        self._wait_deadline = self.clock() + self.settings.wait_timeout
        for_each(originals, self.settings.concurrency, replace_one)
        for original in originals:
            report = original["_report"]
            self.outcome.restarted.append(report)
            if record and not report["error"]:
                self.delta.execution({"flow_name": original["flow_name"], "name": original["name"],
                                      "restarted_as": report["name"]})

    @staticmethod
    def _restart_report(original: t.Mapping[str, t.Any], name: t.Optional[str], changed: bool, error: t.Any) -> dict[str, t.Any]:
        return {"flow_name": original["flow_name"], "name": name, "replaces": original["name"], "input": original.get("input"),
                "outcome": "failed" if error else ("started" if changed else "already_exists"), "changed": changed,
                "status": original.get("_replacement_status"), "error": error}

    def finish(self) -> Outcome:
        outcome = self.outcome
        outcome.record = self.keeper.record
        outcome.record_written = self.keeper.writes > 0
        if outcome.record is not None:
            outcome.remaining = left_to_do(outcome.record, self.settings.restart_stopped)
        schedules = outcome.schedules
        verb = "Would re-enable" if self.check_mode else "Re-enabled"
        extra = []
        for label, count in (("already enabled", _count(schedules, "already_enabled")), ("gone", _count(schedules, "gone")),
                             ("replaced", _count(schedules, "replaced"))):
            if count:
                extra.append("{0} {1}".format(count, label))
        text = "{0} {1} schedule(s){2}".format(verb, _count(schedules, "enabled"), " ({0})".format(", ".join(extra)) if extra else "")
        started_catch_up = sum(1 for entry in outcome.catch_up if entry.get("changed"))
        started_replacements = sum(1 for entry in outcome.restarted if entry.get("changed"))
        if outcome.catch_up or outcome.restarted:
            text += ", {0} {1} catch-up and {2} replacement execution(s)".format(
                "would start" if self.check_mode else "started", started_catch_up, started_replacements)
        failures = outcome.failures
        if failures:
            outcome.msg = "The resume is incomplete: {0} failure(s): {1}. {2}; {3}".format(
                len(failures), "; ".join("{0} {1}/{2}: {3}".format(item["kind"], item["flow_name"], item["name"], item["reason"])
                                         for item in failures[:10]), text,
                "{0} keeps what is left, run the resume again to finish".format(self.settings.record_path)
                if self.settings.record_path else "the returned record holds what is left")
        elif self.delta.window_finished:
            marked = "would be marked" if self.check_mode else "marked"
            outcome.msg = "{0}; {1} {2} resumed".format(text, self.settings.record_path or "the record", marked)
        else:
            outcome.msg = text
        return outcome


def _replaced(recorded: t.Mapping[str, t.Any], current: t.Mapping[str, t.Any]) -> bool:
    """Whether the schedule of that name now is another one than the one recorded (deleted and created again)."""
    for field in ("created_time", "id"):
        if recorded.get(field) and current.get(field) and recorded[field] != current[field]:
            return True
    return False


def catch_up_name(schedule_name: str, fire_time: str) -> str:
    """The catch-up execution's name: the schedule and the fire time, so that a rerun does not start it twice."""
    return schedule_name[:100] + CATCH_UP_INFIX + fire_time.replace("-", "").replace(":", "")


def _input_text(value: t.Any) -> t.Optional[str]:
    if value is None or value == "":
        return None
    return payload_text(value)
