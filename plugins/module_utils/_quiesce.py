# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Quiesce: close the door, then empty the room, for every flow of the window in one process.

Select the flows, read their schedules and in-progress executions, write all of that to the record as pending
(write-ahead), disable the enabled schedules, optionally let the executions finish by themselves for a while (drain),
stop what is left in batches (the record rewritten after each), and wait, with one deadline for the whole window.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta

from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import entry_for, for_each, stop_entry, watch_in_progress
from ansible_collections.seed.cloudflow.plugins.module_utils._cron import latest_fire_time
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import FLOW_NOT_EXISTS, SCHEDULE_NOT_EXISTS, ApiError, CloudFlowError
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import list_in_progress_executions
from ansible_collections.seed.cloudflow.plugins.module_utils._flows import list_flows
from ansible_collections.seed.cloudflow.plugins.module_utils._schedules import list_schedules, schedule_result, update_schedule
from ansible_collections.seed.cloudflow.plugins.module_utils._time import aware_moment
from ansible_collections.seed.cloudflow.plugins.module_utils._window import Outcome, WindowStep, chunks, count_outcome
from ansible_collections.seed.cloudflow.plugins.module_utils._window_record import RESUMED

# Stops are sent in batches; the record is rewritten after each one.
STOP_BATCH = 50
# A schedule may start an execution between the listing and its disabling; the flow is listed again when one of its
# disabled schedules could have fired in that span, widened by this much for clock differences and start latency.
FIRE_MARGIN = timedelta(minutes=2)


class Quiesce(WindowStep):
    state = "quiesced"

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
        for batch in chunks(executions, STOP_BATCH):
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
        parts = ["{0} {1} schedule(s)".format(disable, count_outcome(schedules, "disabled")),
                 "{0} {1} execution(s)".format(stop, count_outcome(executions, "stopped"))]
        extra = []
        for label, count in (("already disabled", count_outcome(schedules, "already_disabled")),
                             ("finished by themselves", count_outcome(executions, "finished_by_itself")),
                             ("gone", count_outcome(schedules, "gone") + count_outcome(executions, "gone"))):
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
