# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the two steps of a maintenance window share: their settings, where the record lives, what a run reports.

The steps themselves are _quiesce.Quiesce (close the door, empty the room) and _resume.Resume (open it again). Both
run in one process for every flow of the window, with the run's one client (one quota budget per action); neither
raises on a partial failure: the outcome lists, per schedule and per execution, what was done or why not, and the
module decides how to fail. Errors before any write (a flow that does not exist, a record of another version) are
raised.
"""

from __future__ import annotations

import time
import typing as t
from datetime import datetime

from ansible_collections.seed.cloudflow.plugins.module_utils import _record_file
from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import error_text
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, CloudFlowError
from ansible_collections.seed.cloudflow.plugins.module_utils._time import utc_now, utc_text
from ansible_collections.seed.cloudflow.plugins.module_utils._window_record import Delta, apply, check_record

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient


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


def error_entry(error: CloudFlowError) -> dict[str, t.Any]:
    return error.as_dict() if isinstance(error, ApiError) else {"message": str(error)}


def count_outcome(entries: t.Iterable[t.Mapping[str, t.Any]], outcome: str) -> int:
    return sum(1 for entry in entries if entry.get("outcome") == outcome)


def chunks(items: t.Sequence[t.Any], size: int) -> t.Iterator[t.Sequence[t.Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class WindowStep:
    """What a quiesce and a resume share: the client, the settings, the clocks, this run's delta, the record and
    the outcome."""

    state = ""

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
        self.run_moment = now()
        self.run_time = utc_text(self.run_moment)
        self.delta = Delta(self.state, self.run_time, settings.cause, check_mode)
        self.keeper = Keeper(settings, self.delta, check_mode, now)
        self.outcome = Outcome(self.state, check_mode)
