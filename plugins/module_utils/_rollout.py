# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A gated rollout of a flow through an alias: publish when changed, move the alias in steps, gate each step, roll
back at once when a gate fails, and prune old versions at the end.

Each step routes the alias's share to the new version and then gates it: smoke executions of the new version (one
per input, started with the new version as qualifier) must all succeed within the smoke timeout, and during the bake
time the failed or timed-out executions of the new version (ListExecutions with its qualifier) must stay at or under
the allowed number. A failed gate routes the alias back to the previous version in full.

Check mode reads only and says what would happen: whether a version would be published, which version would be
rolled out from which, and the steps.
"""

from __future__ import annotations

import time
import typing as t
import uuid
from datetime import datetime

from ansible_collections.seed.cloudflow.plugins.module_utils._aliases import (
    create_alias,
    describe_alias,
    list_aliases,
    routed_versions,
    routing_entries,
    routing_from_service,
    update_alias,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import for_each
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import CloudFlowError
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import (
    execution_history,
    execution_result,
    list_executions,
    request_start,
    wait_until_finished,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._flows import describe_flow
from ansible_collections.seed.cloudflow.plugins.module_utils._schedules import payload_text
from ansible_collections.seed.cloudflow.plugins.module_utils._time import rfc3339_time, utc_now, utc_text
from ansible_collections.seed.cloudflow.plugins.module_utils._versions import (
    delete_version,
    describe_version,
    differences,
    list_versions,
    protected_versions,
    prune_plan,
    publish_version,
)

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

BAKE_POLL_SECONDS = 10.0
# How many failed executions get their error and cause read from their history (one GetExecutionHistory each).
DETAILED_FAILURES = 5
FAILED_STATUSES = ("Failed", "TimedOut")


class RolloutSettings(t.NamedTuple):
    """The rollout's options, already checked by the module."""

    flow: str
    alias: str
    steps: t.Sequence[int] = (100,)
    smoke_inputs: t.Sequence[t.Any] = ()
    smoke_timeout: float = 300.0
    bake_seconds: float = 0.0
    max_failures: int = 0
    keep_versions: int = 0
    description: t.Optional[str] = None
    concurrency: int = 4


class GateFailed(Exception):
    """A step's gate failed; failures are the entries that failed it."""

    def __init__(self, reason: str, failures: list[dict[str, t.Any]]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.failures = failures


class Rollout:
    def __init__(
        self,
        client: CloudFlowClient,
        settings: RolloutSettings,
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
        self.run_id = uuid.uuid4().hex[:8]
        # Failures of the new version count from the first step on: one that starts in a step and ends in a later one
        # fails that later gate. The smoke executions are judged by their own rule.
        self.started_after = None  # type: t.Optional[str]
        self.smoke_names = set()  # type: t.Set[str]
        self.result: dict[str, t.Any] = {
            "changed": False, "flow_name": settings.flow, "alias": settings.alias, "published": False, "version": None,
            "previous_version": None, "changes": [], "steps": [], "routing": [], "rolled_back": False, "pruned": [],
            "kept": {}, "failures": [],
        }

    # -- the run -----------------------------------------------------------------------------------------------------

    def run(self) -> dict[str, t.Any]:
        settings = self.settings
        flow = describe_flow(self.client, settings.flow)
        if flow is None:
            raise CloudFlowError("Flow {0!r} does not exist; nothing was changed".format(settings.flow))
        new = self.publish_if_changed(flow)
        alias = describe_alias(self.client, settings.flow, settings.alias)
        routing = routing_from_service([{"Version": entry["version"], "Weight": entry["weight"]} for entry in alias["routing"]]) if alias else {}
        previous = self.previous_version(routing, new)
        self.result["previous_version"] = previous
        self.result["routing"] = self.result["routing_before"] = routing_entries(routing)
        steps = self.steps_to_take(routing, new)
        if self.check_mode:
            self.result["steps"] = [{"weight": weight, "routing": routing_entries(self.target(new, previous, weight))} for weight in steps]
            self.result["changed"] = self.result["published"] or bool(steps)
            self.result["msg"] = self.plan_message(new, previous, steps)
            return self.result
        for weight in steps:
            step = {"weight": weight, "routing": routing_entries(self.target(new, previous, weight)), "smoke": [], "bake_failures": []}
            self.result["steps"].append(step)
            self.route(alias is not None or len(self.result["steps"]) > 1, self.target(new, previous, weight))
            self.result["routing"] = step["routing"]
            try:
                self.gate(t.cast(str, new), weight, step)
            except GateFailed as failed:
                step["passed"] = False
                self.result["failures"] = failed.failures
                self.roll_back(previous, failed)
                return self.result
            step["passed"] = True
        self.prune()
        self.result["msg"] = self.done_message(new, previous, steps)
        return self.result

    def publish_if_changed(self, flow: t.Mapping[str, t.Any]) -> t.Optional[str]:
        """The version to roll out: the newest when the flow is what it holds, else a new one (None in check mode)."""
        versions = list_versions(self.client, self.settings.flow)
        newest = versions[-1]["version"] if versions else None
        changes = differences(flow, describe_version(self.client, self.settings.flow, newest)) if newest else ["definition"]
        if not changes:
            self.result["version"] = newest
            return newest
        self.result["published"] = True
        self.result["changes"] = changes
        self.result["changed"] = True
        if self.check_mode:
            return None
        published = publish_version(self.client, self.settings.flow, self.settings.description)
        self.result["version"] = published["version"]
        return t.cast(str, published["version"])

    @staticmethod
    def previous_version(routing: t.Mapping[str, int], new: t.Optional[str]) -> t.Optional[str]:
        """The version the alias serves now, other than the new one (the heaviest; the newer of equals)."""
        others = [(weight, int(version), version) for version, weight in routing.items() if version != new]
        return max(others)[2] if others else None

    def steps_to_take(self, routing: t.Mapping[str, int], new: t.Optional[str]) -> list[int]:
        """The weights to go through: none when the alias already sends everything to the new version; 100 alone for
        the first release (no alias, or an alias with nothing else to fall back to)."""
        if new is not None and dict(routing) == {new: 100}:
            return []
        if not routing or self.previous_version(routing, new) is None:
            return [100]
        current = routing.get(new, 0) if new is not None else 0
        return [weight for weight in self.settings.steps if weight > current] or [100]

    @staticmethod
    def target(new: t.Optional[str], previous: t.Optional[str], weight: int) -> dict[str, int]:
        planned = new if new is not None else "(new)"
        if weight >= 100 or previous is None:
            return {planned: 100}
        return {planned: weight, previous: 100 - weight}

    def route(self, exists: bool, routing: t.Mapping[str, int]) -> None:
        settings = self.settings
        if exists:
            update_alias(self.client, settings.flow, settings.alias, routing=routing)
        else:
            create_alias(self.client, settings.flow, settings.alias, routing, None)
        self.result["changed"] = True

    # -- gates -------------------------------------------------------------------------------------------------------

    def gate(self, version: str, weight: int, step: dict[str, t.Any]) -> None:
        """Smoke executions of the new version must succeed; then failures during the bake time must stay within the
        allowed number. Raises GateFailed naming what failed."""
        if self.started_after is None:
            self.started_after = rfc3339_time("started_after", utc_text(self.now()))
        smoke = self.smoke(version, weight)
        step["smoke"] = smoke
        self.smoke_names.update(entry["name"] for entry in smoke)
        failed = [entry for entry in smoke if entry["status"] != "Succeeded"]
        if failed:
            self.add_details(failed)
            raise GateFailed("{0} of {1} smoke execution(s) of version {2} did not succeed".format(len(failed), len(smoke), version), failed)
        deadline = self.clock() + self.settings.bake_seconds
        while True:
            failures = [entry for entry in self.failures_of(version, self.started_after) if entry["name"] not in self.smoke_names]
            step["bake_failures"] = failures
            if len(failures) > self.settings.max_failures:
                self.add_details(failures)
                raise GateFailed("{0} execution(s) of version {1} failed during the bake time (at most {2} allowed)".format(
                    len(failures), version, self.settings.max_failures), failures)
            remaining = deadline - self.clock()
            if remaining <= 0:
                return
            self.sleep(min(BAKE_POLL_SECONDS, remaining))

    def smoke(self, version: str, weight: int) -> list[dict[str, t.Any]]:
        """One execution per smoke input, started with the new version as qualifier, waited for with one deadline."""
        entries = [{"name": "{0}-v{1}-smoke-{2}-{3}-{4}".format(self.settings.alias[:60], version, weight, index, self.run_id),
                    "input": smoke_input, "status": None, "error": None}
                   for index, smoke_input in enumerate(self.settings.smoke_inputs)]
        deadline = self.clock() + self.settings.smoke_timeout

        def run_one(entry: dict[str, t.Any]) -> None:
            try:
                input_text = payload_text(entry["input"]) if entry["input"] not in (None, "") else None
                _started, execution = request_start(self.client, self.settings.flow, entry["name"], input_text, qualifier=version)
                entry["status"] = execution_result(execution)["status"]
                execution = wait_until_finished(self.client, self.settings.flow, entry["name"], max(0.0, deadline - self.clock()),
                                                clock=self.clock)
                entry["status"] = execution_result(execution)["status"]
            except CloudFlowError as error:
                entry["error"] = str(error)
                if getattr(error, "last_status", None):
                    entry["status"] = getattr(error, "last_status")

        for_each(entries, self.settings.concurrency, run_one)
        return entries

    def failures_of(self, version: str, started_after: t.Optional[str]) -> list[dict[str, t.Any]]:
        found = []
        for status in FAILED_STATUSES:
            for execution in list_executions(self.client, self.settings.flow, status, started_after=started_after, qualifier=version):
                shaped = execution_result(execution)
                found.append({"name": shaped["name"], "status": shaped["status"], "started_time": shaped["started_time"]})
        return found

    def add_details(self, failures: list[dict[str, t.Any]]) -> None:
        """The error and cause the service recorded for a few failed executions (the last event of their history)."""
        def detail(entry: dict[str, t.Any]) -> None:
            if entry.get("error") or entry.get("status") not in FAILED_STATUSES:
                return
            try:
                events = execution_history(self.client, self.settings.flow, entry["name"])
            except CloudFlowError:
                return
            ended = [event for event in events if event["type"] in ("ExecutionFailed", "ExecutionTimedOut")]
            if ended and isinstance(ended[-1]["event_detail"], dict):
                known = sorted((key, value) for key, value in ended[-1]["event_detail"].items() if value not in (None, ""))
                if known:
                    entry["error"] = ", ".join("{0}: {1}".format(key, value) for key, value in known)

        for_each(failures[:DETAILED_FAILURES], self.settings.concurrency, detail)

    def roll_back(self, previous: t.Optional[str], failed: GateFailed) -> None:
        names = ", ".join(failure_text(entry) for entry in failed.failures[:10])
        if previous is None:
            self.result["msg"] = "Rollout of flow {0!r} version {1} failed its gate: {2}: {3}. There is no earlier version to route " \
                                 "alias {4!r} back to; it stays on the new version".format(
                                     self.settings.flow, self.result["version"], failed.reason, names, self.settings.alias)
            return
        update_alias(self.client, self.settings.flow, self.settings.alias, routing={previous: 100})
        self.result["rolled_back"] = True
        self.result["routing"] = routing_entries({previous: 100})
        self.result["msg"] = "Rollout of flow {0!r} version {1} failed its gate at {2}%: {3}: {4}. Alias {5!r} routes to version {6} " \
                             "in full again".format(self.settings.flow, self.result["version"], self.result["steps"][-1]["weight"],
                                                    failed.reason, names, self.settings.alias, previous)

    # -- pruning -----------------------------------------------------------------------------------------------------

    def prune(self) -> None:
        """Delete the versions beyond the newest keep_versions, never one an alias routes to or one with executions
        in progress."""
        keep = self.settings.keep_versions
        if keep <= 0:
            return
        versions = [entry["version"] for entry in list_versions(self.client, self.settings.flow)]
        candidates = sorted(versions, key=int)[:max(0, len(versions) - keep)]
        if not candidates:
            return
        routed = routed_versions(list_aliases(self.client, self.settings.flow))
        plan = prune_plan(versions, keep, protected_versions(self.client, self.settings.flow, candidates, routed, self.settings.concurrency))
        for version in plan.delete:
            delete_version(self.client, self.settings.flow, version)
        self.result["pruned"] = plan.delete
        self.result["kept"] = plan.kept
        self.result["changed"] = self.result["changed"] or bool(plan.delete)

    # -- messages ----------------------------------------------------------------------------------------------------

    def plan_message(self, new: t.Optional[str], previous: t.Optional[str], steps: t.Sequence[int]) -> str:
        version = "a new version (the flow differs from the newest in {0})".format(", ".join(self.result["changes"])) \
            if self.result["published"] else "version {0}".format(new)
        if not steps:
            return "Would publish {0}; alias {1!r} already routes to it in full".format(version, self.settings.alias) \
                if self.result["published"] else "Nothing to do: alias {0!r} already routes to version {1} in full".format(self.settings.alias, new)
        origin = "from version {0} ".format(previous) if previous else "as the first release "
        return "Would {0}roll out {1} {2}through alias {3!r} in steps of {4}%".format(
            "publish and " if self.result["published"] else "", version, origin, self.settings.alias, ", ".join(str(weight) for weight in steps))

    def done_message(self, new: t.Optional[str], previous: t.Optional[str], steps: t.Sequence[int]) -> str:
        if not steps:
            return "Alias {0!r} already routes to version {1} in full{2}".format(
                self.settings.alias, new, "; pruned version(s) {0}".format(", ".join(self.result["pruned"])) if self.result["pruned"] else "")
        text = "Rolled out flow {0!r} version {1}{2} through alias {3!r} in steps of {4}%, every gate passed".format(
            self.settings.flow, new, " (from version {0})".format(previous) if previous else " (first release)", self.settings.alias,
            ", ".join(str(weight) for weight in steps))
        if self.result["pruned"]:
            text += "; pruned version(s) {0}".format(", ".join(self.result["pruned"]))
        return text


def failure_text(entry: t.Mapping[str, t.Any]) -> str:
    """An execution that failed a gate, as the message names it: its name, status and, when known, error and cause."""
    detail = ": " + entry["error"] if entry.get("error") else ""
    return "{0} ({1}{2})".format(entry["name"], entry.get("status") or "not started", detail)
