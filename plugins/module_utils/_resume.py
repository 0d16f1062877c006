# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Resume: open the door again, exactly as the record says it was closed, after looking at the service as it is now.

Read the record, read the live state of everything in it, re-enable exactly the recorded schedules that are still
the same schedules and still disabled, report the fires the window skipped, optionally start one catch-up execution
per re-enabled schedule and a replacement per stopped execution, and mark the record resumed when nothing is left.
"""

from __future__ import annotations

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import for_each
from ansible_collections.seed.cloudflow.plugins.module_utils._cron import count_fire_times, latest_fire_time
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import FLOW_NOT_EXISTS, SCHEDULE_NOT_EXISTS, ApiError, CloudFlowError, RecordError
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import (
    TERMINAL_STATUSES,
    describe_execution,
    execution_result,
    request_start,
    wait_until_finished,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._schedules import list_schedules, payload_text, schedule_result, update_schedule
from ansible_collections.seed.cloudflow.plugins.module_utils._time import aware_moment, utc_text
from ansible_collections.seed.cloudflow.plugins.module_utils._window import Outcome, WindowStep, count_outcome, error_entry
from ansible_collections.seed.cloudflow.plugins.module_utils._window_record import RESUMED, left_to_do

SKIPPED_FIRES_SHOWN = 5
CATCH_UP_INFIX = "-catch-up-"


class Resume(WindowStep):
    state = "resumed"

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
                self._schedule(entry, "failed", error=error_entry(schedules))
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
            return False, None, error_entry(error)

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
                entry["_error"] = error_entry(error)
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
        for label, count in (("already enabled", count_outcome(schedules, "already_enabled")), ("gone", count_outcome(schedules, "gone")),
                             ("replaced", count_outcome(schedules, "replaced"))):
            if count:
                extra.append("{0} {1}".format(count, label))
        text = "{0} {1} schedule(s){2}".format(verb, count_outcome(schedules, "enabled"), " ({0})".format(", ".join(extra)) if extra else "")
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
