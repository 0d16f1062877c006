# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The maintenance-window record: its schema, how runs merge into it, and what is left to resume.

This is the one owner of the record's shape. A record is a JSON object::

    {"format": "seed.cloudflow.window", "version": 2, "window_id": "...", "state": "open" | "resumed",
     "started_time": "...", "updated_time": "...", "resumed_time": null | "...",
     "runs": [{"id", "state", "started_time", "cause", "flows", "check_mode"}],
     "flows": ["..."],
     "schedules": [{"flow_name", "name", "id", "created_time", "cron_expression", "payload", "disabled_time",
                    "state": "pending" | "failed" | "gone" | "disabled", "error", "resumed", "resumed_time"}],
     "executions": [{"flow_name", "name", "input", "started_time", "status_before", "status_after",
                     "state": "pending" | "failed" | "gone" | "finished_by_itself" | "stopped", "error",
                     "restarted_as"}],
     "catch_up": [{"flow_name", "schedule_name", "fire_time", "name", "input", "state": "pending" | "failed" | "started",
                   "error"}]}

A quiesce writes an entry as ``pending`` before it acts on it (write-ahead) and rewrites it with the outcome after;
a resume reads the live state of every entry before acting, so a pending entry that was never acted on is harmless.

Writers merge, they never overwrite: every write of a run carries everything that run knows (its delta), applied to
the record as it is on disk at that moment, under the file's lock. Entries are keyed by flow and name. A quiesce
that records a schedule clears the schedule's resume outcome (resume then reads it again, which is always safe); a
resume only ever sets resume outcomes. A record whose window was resumed starts a new window when a quiesce writes.
"""

from __future__ import annotations

import typing as t
import uuid

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import RecordError

RECORD_FORMAT = "seed.cloudflow.window"
RECORD_VERSION = 2
OPEN = "open"
RESUMED = "resumed"

# Higher rank wins when two runs recorded the same entry (for example, one failed to disable a schedule that the
# other disabled: the schedule is disabled).
SCHEDULE_STATES = ("pending", "failed", "gone", "disabled")
EXECUTION_STATES = ("pending", "failed", "gone", "finished_by_itself", "stopped")
CATCH_UP_STATES = ("pending", "failed", "started")
# Resume outcomes after which a schedule needs nothing more; "failed" is tried again by the next resume.
SCHEDULE_RESOLVED = ("enabled", "already_enabled", "gone", "replaced")

SCHEDULE_FIELDS = ("flow_name", "name", "id", "created_time", "cron_expression", "payload", "disabled_time", "state",
                   "error", "resumed", "resumed_time")
EXECUTION_FIELDS = ("flow_name", "name", "input", "started_time", "status_before", "status_after", "state", "error",
                    "restarted_as")
CATCH_UP_FIELDS = ("flow_name", "schedule_name", "fire_time", "name", "input", "state", "error")

Key = t.Tuple[str, str]


def new_record(now: str) -> dict[str, t.Any]:
    return {
        "format": RECORD_FORMAT,
        "version": RECORD_VERSION,
        "window_id": uuid.uuid4().hex,
        "state": OPEN,
        "started_time": now,
        "updated_time": now,
        "resumed_time": None,
        "runs": [],
        "flows": [],
        "schedules": [],
        "executions": [],
        "catch_up": [],
    }


def _entries(record: t.Mapping[str, t.Any], key: str, source: str) -> list[dict[str, t.Any]]:
    entries = record.get(key)
    if entries is None:
        return []
    name_field = "name"
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("flow_name"), str) and isinstance(entry.get(name_field), str)
        for entry in entries
    ):
        raise RecordError(source, "its {0} must be a list of objects, each with flow_name and name".format(key))
    return entries


def check_record(record: t.Any, source: str) -> dict[str, t.Any]:
    """The record, checked: a record of another format or version fails with a message naming source."""
    if not isinstance(record, dict):
        raise RecordError(source, "is not a maintenance-window record (a JSON object is expected)")
    version = record.get("version")
    if record.get("format") != RECORD_FORMAT or version != RECORD_VERSION:
        if version == 1 and "format" not in record:
            problem = ("is a version 1 record, written by the quiesce role before the cloudflow_window module; this "
                       "collection reads version {0}. Re-enable its schedules with seed.cloudflow.cloudflow_schedule "
                       "(enabled: true), or resume it with the release of the collection that wrote it".format(RECORD_VERSION))
        else:
            problem = "has format {0!r} version {1!r}; this collection reads {2!r} version {3}".format(
                record.get("format"), version, RECORD_FORMAT, RECORD_VERSION)
        raise RecordError(source, problem)
    if record.get("state") not in (OPEN, RESUMED):
        raise RecordError(source, "has state {0!r}; expected {1!r} or {2!r}".format(record.get("state"), OPEN, RESUMED))
    for key in ("schedules", "executions"):
        _entries(record, key, source)
    catch_up = record.get("catch_up") or []
    if not isinstance(catch_up, list) or not all(isinstance(entry, dict) and entry.get("name") for entry in catch_up):
        raise RecordError(source, "its catch_up must be a list of objects, each with a name")
    return record


def key_of(entry: t.Mapping[str, t.Any]) -> Key:
    return entry["flow_name"], entry["name"]


def _rank(states: t.Sequence[str], state: t.Optional[str]) -> int:
    return states.index(state) if state in states else -1


class Delta:
    """What one run knows and has to write: its run entry and every entry it recorded, latest first-hand state.

    Thread-safe use is the caller's business: the window code changes a Delta from one thread only.
    """

    def __init__(self, run_state: str, started_time: str, cause: t.Optional[str], check_mode: bool) -> None:
        self.run = {"id": uuid.uuid4().hex, "state": run_state, "started_time": started_time, "cause": cause,
                    "flows": [], "check_mode": check_mode}  # type: dict[str, t.Any]
        self.flows = []  # type: list[str]
        self.schedules = {}  # type: dict[Key, dict[str, t.Any]]
        self.executions = {}  # type: dict[Key, dict[str, t.Any]]
        self.catch_up = {}  # type: dict[str, dict[str, t.Any]]
        # Set by a resume that found nothing left: mark the window resumed if the file agrees.
        self.finish_window = False
        self.window_finished = False

    @property
    def quiesce(self) -> bool:
        return self.run["state"] == "quiesced"

    def add_flows(self, flows: t.Iterable[str]) -> None:
        for flow in flows:
            if flow not in self.flows:
                self.flows.append(flow)
        self.run["flows"] = list(self.flows)

    def schedule(self, entry: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """Record (or update) a schedule entry; returns the stored entry."""
        stored = self.schedules.setdefault(key_of(entry), {})
        stored.update(entry)
        return stored

    def execution(self, entry: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        stored = self.executions.setdefault(key_of(entry), {})
        stored.update(entry)
        return stored

    def catch_up_entry(self, entry: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        stored = self.catch_up.setdefault(entry["name"], {})
        stored.update(entry)
        return stored


def _merge_schedule(current: t.Optional[dict[str, t.Any]], mine: t.Mapping[str, t.Any], quiesce: bool) -> dict[str, t.Any]:
    merged = dict(current or {})
    if quiesce:
        for field in ("flow_name", "name", "id", "created_time", "cron_expression", "payload"):
            if mine.get(field) is not None or field not in merged:
                merged[field] = mine.get(field)
        earlier = [time for time in (merged.get("disabled_time"), mine.get("disabled_time")) if time]
        merged["disabled_time"] = min(earlier) if earlier else None
        if _rank(SCHEDULE_STATES, mine.get("state")) >= _rank(SCHEDULE_STATES, merged.get("state")):
            merged["state"] = mine.get("state")
            merged["error"] = mine.get("error")
        # Recorded (again) by a quiesce: the next resume must look at it again.
        merged["resumed"] = None
        merged["resumed_time"] = None
    else:
        for field in ("flow_name", "name"):
            merged.setdefault(field, mine[field])
        for field in ("resumed", "resumed_time", "error"):
            if field in mine:
                merged[field] = mine[field]
    return {field: merged.get(field) for field in SCHEDULE_FIELDS}


def _merge_execution(current: t.Optional[dict[str, t.Any]], mine: t.Mapping[str, t.Any], quiesce: bool) -> dict[str, t.Any]:
    merged = dict(current or {})
    if quiesce:
        for field in ("flow_name", "name", "input", "started_time", "status_before"):
            if mine.get(field) is not None or field not in merged:
                merged[field] = mine.get(field)
        if _rank(EXECUTION_STATES, mine.get("state")) >= _rank(EXECUTION_STATES, merged.get("state")):
            for field in ("state", "error", "status_after"):
                merged[field] = mine.get(field)
    else:
        for field in ("flow_name", "name"):
            merged.setdefault(field, mine[field])
        for field in ("restarted_as", "state", "status_after", "error"):
            if field in mine:
                merged[field] = mine[field]
    return {field: merged.get(field) for field in EXECUTION_FIELDS}


def _merge_catch_up(current: t.Optional[dict[str, t.Any]], mine: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    merged = dict(current or {})
    for field in CATCH_UP_FIELDS:
        if field in mine:
            merged[field] = mine[field]
    if _rank(CATCH_UP_STATES, (current or {}).get("state")) > _rank(CATCH_UP_STATES, mine.get("state")):
        merged["state"] = current["state"]  # type: ignore[index]
    return {field: merged.get(field) for field in CATCH_UP_FIELDS}


def _upsert(entries: list[dict[str, t.Any]], key: t.Callable[[t.Mapping[str, t.Any]], t.Hashable],
            mine: t.Iterable[t.Mapping[str, t.Any]], merge: t.Callable[[t.Optional[dict[str, t.Any]], t.Mapping[str, t.Any]], dict[str, t.Any]]
            ) -> list[dict[str, t.Any]]:
    by_key = {key(entry): index for index, entry in enumerate(entries)}
    merged = list(entries)
    for entry in mine:
        index = by_key.get(key(entry))
        if index is None:
            by_key[key(entry)] = len(merged)
            merged.append(merge(None, entry))
        else:
            merged[index] = merge(merged[index], entry)
    return merged


def apply(current: t.Optional[dict[str, t.Any]], delta: Delta, now: str, source: str) -> dict[str, t.Any]:
    """The record after this run's write: current (the file as it is now, None when there is none) merged with delta.

    A quiesce that finds no record, or the record of a window already resumed, starts a new window. A resume that
    finds no record (the file was removed under it) starts from what it knows.
    """
    if current is not None:
        current = check_record(current, source)
    if current is None or (delta.quiesce and current["state"] == RESUMED):
        record = new_record(delta.run["started_time"] if delta.quiesce else now)
    else:
        record = dict(current)
    quiesce = delta.quiesce
    flows = list(record.get("flows") or [])
    flows.extend(flow for flow in delta.flows if flow not in flows)
    record["flows"] = flows
    record["runs"] = _upsert(list(record.get("runs") or []), lambda run: run.get("id"), [delta.run],
                             lambda old, new: dict(new))
    record["schedules"] = _upsert(list(record.get("schedules") or []), key_of, delta.schedules.values(),
                                  lambda old, new: _merge_schedule(old, new, quiesce))
    record["executions"] = _upsert(list(record.get("executions") or []), key_of, delta.executions.values(),
                                   lambda old, new: _merge_execution(old, new, quiesce))
    record["catch_up"] = _upsert(list(record.get("catch_up") or []), lambda entry: entry.get("name"),
                                 delta.catch_up.values(), _merge_catch_up)
    record["updated_time"] = now
    delta.window_finished = False
    if delta.finish_window and record["state"] == OPEN and not left_to_do(record, restart_stopped=False)["schedules"] \
            and not left_to_do(record, restart_stopped=False)["catch_up"] and _all_known(record, delta):
        record["state"] = RESUMED
        record["resumed_time"] = now
        delta.window_finished = True
    return record


def _all_known(record: t.Mapping[str, t.Any], delta: Delta) -> bool:
    """Whether the resume saw every entry now on file (a quiesce writing at the same time may have added some)."""
    return all(key_of(entry) in delta.schedules or entry.get("resumed") in SCHEDULE_RESOLVED for entry in record["schedules"])


def left_to_do(record: t.Mapping[str, t.Any], restart_stopped: bool) -> dict[str, list[dict[str, t.Any]]]:
    """What a resume still has to look at: schedules without a final resume outcome, catch-up executions not yet
    started, and (when stopped executions are restarted) stopped or possibly stopped executions without a
    replacement."""
    if record.get("state") == RESUMED:
        return {"schedules": [], "executions": [], "catch_up": []}
    executions = []  # type: list[dict[str, t.Any]]
    if restart_stopped:
        executions = [entry for entry in record.get("executions") or []
                      if entry.get("state") in ("stopped", "pending") and not entry.get("restarted_as")]
    return {
        "schedules": [entry for entry in record.get("schedules") or [] if entry.get("resumed") not in SCHEDULE_RESOLVED],
        "executions": executions,
        "catch_up": [entry for entry in record.get("catch_up") or [] if entry.get("state") != "started"],
    }
