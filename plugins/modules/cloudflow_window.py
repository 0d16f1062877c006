#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_window
short_description: Open and close a maintenance window on CloudFlow flows, with a record that survives the run
version_added: 0.1.0
description:
  - Runs a whole step of a maintenance window in one process, with one quota budget per API action shared by every
    flow, bounded concurrency, and a record of what it changed that is written before each change (write-ahead).
  - "O(state=quiesced): selects the flows (O(flows), O(flow_prefix), or both), disables their enabled schedules
    (O(schedules)), optionally lets the executions in progress finish by themselves for up to O(drain_timeout)
    seconds, stops what is still in progress (matching O(name_prefix)), and waits (O(wait)) with one deadline for
    the whole window (O(wait_timeout))."
  - "O(state=resumed): reads the record (O(record_path) or O(record)), reads the live state of everything in it,
    re-enables exactly the recorded schedules, optionally starts one catch-up execution per re-enabled schedule
    (O(catch_up)) and a replacement per stopped execution (O(restart_stopped)), reports per re-enabled schedule the
    fires the window skipped, and marks the record resumed."
  - "The record (O(record_path), a JSON file on the host that runs the module, mode C(0600)): before the first write
    to the service it lists every schedule the run is about to disable and every execution it is about to stop,
    with the input a restart needs; after each batch it is rewritten with what was done. Every write is atomic and
    durable (a temporary file in the same directory, flushed, fsynced, renamed over the record, directory fsynced)
    and merges, under an exclusive lock on C(<record_path>.lock), with what other runs wrote. So a run killed at any
    moment, or two runs at once, never lose a schedule that was disabled."
  - "Resume cannot be fooled: a recorded schedule that no longer exists is reported as V(gone) (with a warning) and
    does not fail the run; one that was deleted and created again during the window (another creation time) is left
    alone and reported as V(replaced); one that someone already re-enabled is left as it is; an entry that a killed
    quiesce wrote but never acted on finds its schedule enabled and is left as it is."
  - A completed resume keeps the record, marked resumed with the time; a second resume on it changes nothing and says
    when it was resumed. A later quiesce on the same path starts a new window.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
extends_documentation_fragment:
  - seed.cloudflow.connection
  - seed.cloudflow.connection.action_group
attributes:
  check_mode:
    description: Only read calls are sent and the record file is neither written nor created; the result (record
      included) says what a real run would do.
    support: full
  diff_mode:
    description: The diff shows each schedule's enabled state and each execution's status, before and after.
    support: full
  idempotent:
    description:
      - A second quiesce finds the schedules disabled and nothing in progress and changes nothing; a second resume
        on a record marked resumed changes nothing.
    support: full
options:
  state:
    description:
      - V(quiesced) opens the window (or continues an open one); V(resumed) closes it.
    type: str
    required: true
    choices: [quiesced, resumed]
  flows:
    description:
      - With O(state=quiesced), the names of the flows, without duplicates. A named flow that does not exist fails
        the task before anything is changed.
      - Give O(flows), O(flow_prefix), or both (the union is quiesced).
    type: list
    elements: str
    default: []
  flow_prefix:
    description:
      - With O(state=quiesced), also every flow whose name starts with this text (C(ListFlows), paged). A prefix
        that matches nothing quiesces nothing and is not an error.
    type: str
  schedules:
    description:
      - With O(state=quiesced), disable the flows' enabled schedules first (schedules already disabled are left
        alone and not recorded); with O(state=resumed), re-enable the recorded ones.
      - V(false) leaves schedules alone. A resume with V(false) does not mark the record resumed.
    type: bool
    default: true
  name_prefix:
    description:
      - With O(state=quiesced), stop only executions whose name starts with this text. Schedules are disabled
        whatever their executions are called.
    type: str
  cause:
    description:
      - Why the executions are stopped, recorded by the service with each stop and kept in the record
        (1 to 4096 characters). Required with O(state=quiesced).
    type: str
  error:
    description: The error code recorded with each stop (1 to 128 characters).
    type: str
    default: Maintenance
  drain_timeout:
    description:
      - With O(state=quiesced), let the executions in progress finish by themselves for up to this many seconds
        (after the schedules are disabled), then stop what is still in progress. V(0) stops at once.
      - Executions that finish by themselves are reported as V(finished_by_itself) and are not restarted by a resume.
    type: int
    default: 0
  wait:
    description:
      - With O(state=quiesced), wait until the service reports every stopped execution as finished (default
        V(true)); with O(state=resumed), wait until each replacement execution has finished (default V(false)).
    type: bool
  wait_timeout:
    description:
      - How many seconds to wait with O(wait), for the whole window and every flow together (not per flow). The
        wait starts once every stop was sent. An execution still in progress after it is a failure of the task.
    type: int
    default: 300
  concurrency:
    description:
      - How many requests at most are in flight at once (1 to 32). The service's API quotas, shared by every flow of
        the run, bound the rate; this bounds the threads.
    type: int
    default: 4
  record_path:
    description:
      - An absolute path on the host that runs the module for the record file (JSON, mode C(0600); execution inputs
        may be sensitive). Its directory must exist. A lock file C(<record_path>.lock) is kept beside it.
      - With O(state=quiesced), without O(record_path) the record is only returned, and a run that is interrupted
        leaves none behind.
      - With O(state=resumed), a path where there is no record fails the task, naming the path, unless O(missing_ok).
      - Mutually exclusive with O(record).
    type: path
  record:
    description:
      - With O(state=resumed), the record as data, for example the RV(record) of the quiesce, or the
        C(quiesce_record) that the C(seed.cloudflow.quiesce) role published with C(set_stats) to the next job of an
        AWX workflow. The updated record is returned, not written anywhere.
      - Mutually exclusive with O(record_path).
    type: dict
  missing_ok:
    description:
      - With O(state=resumed), a missing record file means there is nothing to resume instead of a failure.
    type: bool
    default: false
  catch_up:
    description:
      - With O(state=resumed), V(none) starts nothing for the fire times the window skipped, like the service, which
        does not replay them.
      - V(latest) starts one execution per schedule this run re-enabled that would have fired during the window,
        for its last skipped fire time, with the schedule's payload as input, named after the schedule and that
        time (for example C(nightly-catch-up-20240502T020000Z)), so that a rerun does not start it twice.
    type: str
    choices: [none, latest]
    default: none
  restart_stopped:
    description:
      - With O(state=resumed), start a replacement for each execution the window stopped, in the same flow with the
        same input, named after the original with O(restart_suffix) appended.
    type: bool
    default: false
  restart_suffix:
    description:
      - Appended to an original execution's name to name its replacement, for example V(-resumed-CHG1234).
        Required with O(restart_stopped) or O(restart_executions).
      - Letters, digits, V(_) and V(-); every resulting name must be at most 128 characters long.
    type: str
  restart_executions:
    description:
      - With O(state=resumed), further executions to replace (not taken from the record), each with C(flow_name),
        C(name) and optionally C(input).
    type: list
    elements: dict
    default: []
  lock_timeout:
    description:
      - How many seconds at most to wait for the record's lock, which another run holds only while it writes.
        When it cannot be had, the task fails naming the file.
    type: float
    default: 30
notes:
  - The fnf schedule API covers time-based schedules only; event-driven triggers (EventBridge, MNS, SLS, Kafka,
    RocketMQ, RabbitMQ, HTTP) are not paused.
  - The record file needs a POSIX host (it is locked with C(flock)).
  - The skipped fires are computed locally from each schedule's expression, in its C(CRON_TZ) zone; for V(@every)
    the interval is counted from the schedule's creation time (the service does not document its phase).
seealso:
  - module: seed.cloudflow.cloudflow_execution
  - module: seed.cloudflow.cloudflow_schedule
  - ref: ansible_collections.seed.cloudflow.docsite.maintenance_windows
    description: Maintenance windows, the record, and what is safe to interrupt.
"""

EXAMPLES = r"""
- name: Open the window (try it with --check first)
  seed.cloudflow.cloudflow_window:
    state: quiesced
    flow_prefix: nightly-
    cause: Database upgrade CHG-1234
    drain_timeout: 120
    wait_timeout: 600
    record_path: /var/lib/maintenance/CHG-1234.json
  register: window

- name: Report what was stopped
  ansible.builtin.debug:
    msg: "{{ window.executions | selectattr('outcome', 'equalto', 'stopped') | map(attribute='name') | list }}"

- name: Close it again, catching up on what the schedules skipped and restarting what was stopped
  seed.cloudflow.cloudflow_window:
    state: resumed
    record_path: /var/lib/maintenance/CHG-1234.json
    catch_up: latest
    restart_stopped: true
    restart_suffix: -resumed-CHG1234

- name: Resume from the record another job published (AWX workflow, set_stats)
  seed.cloudflow.cloudflow_window:
    state: resumed
    record: "{{ quiesce_record }}"
"""

RETURN = r"""
state:
  description: The state this run brought the window to.
  returned: always
  type: str
  sample: quiesced
flows:
  description: The flows of the window.
  returned: always
  type: list
  elements: str
  sample: [nightly-etl, nightly-report]
schedules:
  description:
    - One entry per schedule this run looked at, with what was done (in check mode, what would be done).
  returned: always
  type: list
  elements: dict
  contains:
    flow_name:
      description: The schedule's flow.
      type: str
    name:
      description: The schedule's name.
      type: str
    outcome:
      description:
        - Quiesce - V(disabled), V(already_disabled) (left alone, not recorded), V(gone) (deleted before it could be
          disabled), V(failed).
        - Resume - V(enabled), V(already_enabled) (someone re-enabled it; left as it is), V(gone) (no longer exists;
          dropped), V(replaced) (deleted and created again during the window; left as it is), V(failed).
      type: str
      sample: disabled
    changed:
      description: Whether this run changed the schedule.
      type: bool
    cron_expression:
      description: The schedule's expression.
      type: str
    error:
      description: Why it failed (the service's C(code), C(message) and C(request_id), or a C(message)).
      type: dict
    skipped_fires:
      description:
        - For a schedule this run re-enabled, the fires the window skipped - C(count), the C(first) few times (UTC),
          and the span C(since) (when it was disabled) and C(until) (now).
      returned: when the outcome is V(enabled)
      type: dict
      sample: {count: 3, first: ["2024-05-02T02:00:00Z", "2024-05-03T02:00:00Z"], since: "2024-05-01T20:00:00Z",
               until: "2024-05-04T06:00:00Z"}
executions:
  description: With O(state=quiesced), one entry per in-progress execution the run found, with what was done.
  returned: always
  type: list
  elements: dict
  contains:
    flow_name:
      description: The execution's flow.
      type: str
    name:
      description: The execution's name.
      type: str
    outcome:
      description:
        - V(stopped), V(finished_by_itself) (finished during the drain, or before its stop reached it; not
          stopped), V(gone) (no longer exists), V(failed).
      type: str
      sample: stopped
    changed:
      description: Whether this run stopped it.
      type: bool
    status_before:
      description: Its status when it was listed.
      type: str
      sample: Running
    status_after:
      description: Its status at the end (with O(wait), final; without, as last read).
      type: str
      sample: Stopped
    started_time:
      description: When it started.
      type: str
    input:
      description: Its input, as the record keeps it for a restart.
      type: raw
    error:
      description: Why it failed.
      type: dict
catch_up:
  description: With O(state=resumed), the catch-up executions (planned by this run or left by an earlier one).
  returned: always
  type: list
  elements: dict
  sample: [{flow_name: nightly-etl, schedule_name: nightly, fire_time: "2024-05-02T02:00:00Z",
            name: nightly-catch-up-20240502T020000Z, input: {mode: full}, outcome: started, changed: true, error: null}]
restarted:
  description: With O(state=resumed), the replacement executions, each with C(flow_name), C(name), C(replaces),
    C(input), C(outcome) (V(started), V(already_exists), V(failed)), C(changed), C(status) and C(error).
  returned: always
  type: list
  elements: dict
failures:
  description: Every entry that failed, each with C(kind) (V(schedule), V(execution), V(catch_up), V(restart)),
    C(flow_name), C(name) and C(reason). The task fails when it is not empty.
  returned: always
  type: list
  elements: dict
record:
  description:
    - The record as it now stands (in check mode, as a real run would leave it); V(null) when there is none.
    - "Keys: C(format), C(version) (2), C(window_id), C(state) (V(open) or V(resumed)), C(started_time),
      C(updated_time), C(resumed_time), C(runs), C(flows), C(schedules), C(executions), C(catch_up)."
  returned: always
  type: dict
record_path:
  description: The record file, as given (V(null) without one).
  returned: always
  type: str
  sample: /var/lib/maintenance/CHG-1234.json
msg:
  description: One line saying what was done.
  returned: always
  type: str
  sample: Disabled 4 schedule(s) and stopped 6 execution(s) of 2 flow(s); record /var/lib/maintenance/CHG-1234.json
"""

import re
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._module import Manager, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import NAME_MAX_LENGTH, check_length, check_name, check_positive
from ansible_collections.seed.cloudflow.plugins.module_utils._quiesce import Quiesce
from ansible_collections.seed.cloudflow.plugins.module_utils._resume import Resume
from ansible_collections.seed.cloudflow.plugins.module_utils._window import Outcome, Settings

SUFFIX_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_CONCURRENCY = 32
QUIESCE_ONLY = ("flow_prefix", "name_prefix", "cause")
RESUME_ONLY = ("record", "restart_suffix")
RESUME_ONLY_FLAGS = {"missing_ok": False, "catch_up": "none", "restart_stopped": False}


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "state": {"type": "str", "required": True, "choices": ["quiesced", "resumed"]},
        "flows": {"type": "list", "elements": "str", "default": []},
        "flow_prefix": {"type": "str"},
        "schedules": {"type": "bool", "default": True},
        "name_prefix": {"type": "str"},
        "cause": {"type": "str"},
        "error": {"type": "str", "default": "Maintenance"},
        "drain_timeout": {"type": "int", "default": 0},
        "wait": {"type": "bool"},
        "wait_timeout": {"type": "int", "default": 300},
        "concurrency": {"type": "int", "default": 4},
        "record_path": {"type": "path"},
        "record": {"type": "dict"},
        "missing_ok": {"type": "bool", "default": False},
        "catch_up": {"type": "str", "default": "none", "choices": ["none", "latest"]},
        "restart_stopped": {"type": "bool", "default": False},
        "restart_suffix": {"type": "str"},
        "restart_executions": {"type": "list", "elements": "dict", "default": []},
        "lock_timeout": {"type": "float", "default": 30.0},
    }


def check_options(params: dict[str, t.Any]) -> None:
    """Every local rule, before the first request."""
    quiesce = params["state"] == "quiesced"
    check_positive("wait_timeout", params["wait_timeout"])
    check_positive("drain_timeout", params["drain_timeout"], allow_zero=True)
    check_positive("lock_timeout", params["lock_timeout"])
    check_positive("concurrency", params["concurrency"])
    if params["concurrency"] > MAX_CONCURRENCY:
        raise ConfigurationError("concurrency", "must be at most {0}; the API quotas, not threads, bound the rate".format(MAX_CONCURRENCY))
    if params["record_path"] is not None and not params["record_path"].startswith("/"):
        raise ConfigurationError("record_path", "must be an absolute path; got {0!r}".format(params["record_path"]))
    if quiesce:
        for option in RESUME_ONLY + ("restart_executions",):
            if params[option]:
                raise ConfigurationError(option, "is only valid with state=resumed")
        for option, default in RESUME_ONLY_FLAGS.items():
            if params[option] != default:
                raise ConfigurationError(option, "is only valid with state=resumed")
        if not params["flows"] and not params["flow_prefix"]:
            raise ConfigurationError("flows", "give flows, flow_prefix, or both, with state=quiesced")
        for index, flow in enumerate(params["flows"]):
            check_name("flows[{0}]".format(index), flow)
        duplicates = sorted({flow for flow in params["flows"] if params["flows"].count(flow) > 1})
        if duplicates:
            raise ConfigurationError("flows", "must not name a flow twice; repeated: {0}".format(", ".join(duplicates)))
        if params["flow_prefix"] is not None:
            check_name("flow_prefix", params["flow_prefix"])
        if params["name_prefix"] is not None:
            check_name("name_prefix", params["name_prefix"])
        if params["cause"] is None:
            raise ConfigurationError("cause", "is required with state=quiesced (why the executions are stopped)")
        check_length("cause", params["cause"], 1, 4096)
        check_length("error", params["error"], 1, 128)
        return
    for option in QUIESCE_ONLY + ("flows",):
        if params[option]:
            raise ConfigurationError(option, "is only valid with state=quiesced")
    if params["drain_timeout"]:
        raise ConfigurationError("drain_timeout", "is only valid with state=quiesced")
    if params["record"] is None and params["record_path"] is None and not params["restart_executions"]:
        raise ConfigurationError("record_path", "give record_path or record (or restart_executions) with state=resumed")
    replacing = params["restart_stopped"] or params["restart_executions"]
    suffix = params["restart_suffix"]
    if replacing and not suffix:
        raise ConfigurationError("restart_suffix", "is required with restart_stopped or restart_executions")
    if suffix is not None and not SUFFIX_PATTERN.match(suffix):
        raise ConfigurationError("restart_suffix", "must be one or more letters, digits, '_' or '-'; got {0!r}".format(suffix))
    for index, original in enumerate(params["restart_executions"]):
        for field in ("flow_name", "name"):
            if not isinstance(original.get(field), str):
                raise ConfigurationError("restart_executions[{0}].{1}".format(index, field), "is required (a string)")
        check_name("restart_executions[{0}].flow_name".format(index), original["flow_name"])
        check_name("restart_executions[{0}].name".format(index), original["name"] + (suffix or ""))


def check_replacement_names(record: t.Optional[t.Mapping[str, t.Any]], suffix: t.Optional[str]) -> None:
    """Every replacement name the record's executions would get fits the naming rule; checked before any write."""
    if not record or not suffix:
        return
    too_long = [entry["name"] + suffix for entry in record.get("executions") or []
                if len(entry["name"] + suffix) > NAME_MAX_LENGTH]
    if too_long:
        raise ConfigurationError("restart_suffix", "makes replacement names longer than {0} characters: {1}".format(
            NAME_MAX_LENGTH, ", ".join(too_long[:5])))


def settings_from(params: dict[str, t.Any]) -> Settings:
    quiesce = params["state"] == "quiesced"
    return Settings(
        state=params["state"],
        flows=tuple(params["flows"]),
        flow_prefix=params["flow_prefix"],
        schedules=params["schedules"],
        name_prefix=params["name_prefix"],
        cause=params["cause"],
        error=params["error"],
        wait=params["wait"] if params["wait"] is not None else quiesce,
        wait_timeout=float(params["wait_timeout"]),
        drain_timeout=float(params["drain_timeout"]),
        concurrency=params["concurrency"],
        record_path=params["record_path"],
        record=params["record"],
        missing_ok=params["missing_ok"],
        catch_up=params["catch_up"],
        restart_stopped=params["restart_stopped"],
        restart_suffix=params["restart_suffix"],
        restart_executions=tuple(params["restart_executions"]),
        lock_timeout=params["lock_timeout"],
    )


def diff_of(result: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Each schedule's enabled state and each execution's status, before and after."""
    before: dict[str, dict[str, t.Any]] = {"schedules": {}, "executions": {}}
    after: dict[str, dict[str, t.Any]] = {"schedules": {}, "executions": {}}
    for entry in result["schedules"]:
        key = "{0}/{1}".format(entry["flow_name"], entry["name"])
        outcome = entry["outcome"]
        if outcome in ("disabled", "already_disabled"):
            before["schedules"][key] = "enabled" if outcome == "disabled" else "disabled"
            after["schedules"][key] = "disabled"
        elif outcome in ("enabled", "already_enabled"):
            before["schedules"][key] = "disabled" if outcome == "enabled" else "enabled"
            after["schedules"][key] = "enabled"
    for entry in result["executions"]:
        key = "{0}/{1}".format(entry["flow_name"], entry["name"])
        before["executions"][key] = entry["status_before"]
        after["executions"][key] = entry["status_after"]
    return {"before": before, "after": after}


class WindowManager(Manager):
    """A window step: quiesced or resumed, in one run; the outcome's entries and record make the result."""

    def ensure_quiesced(self) -> dict[str, t.Any]:
        return self._result(Quiesce(self.client, settings_from(self.params), check_mode=self.check_mode).run())

    def ensure_resumed(self) -> dict[str, t.Any]:
        settings = settings_from(self.params)
        resume = Resume(self.client, settings, check_mode=self.check_mode)
        if settings.restart_stopped:
            check_replacement_names(resume.keeper.record, settings.restart_suffix)
        return self._result(resume.run())

    def _result(self, outcome: Outcome) -> dict[str, t.Any]:
        for warning in outcome.warnings:
            self.module.warn(warning)
        result = outcome.result()
        result["record_path"] = self.params["record_path"]
        if self.diff_mode:
            result["diff"] = diff_of(result)
        result["failed"] = bool(result["failures"])
        return result


def main() -> None:
    run_module(
        argument_spec(),
        lambda module, client: WindowManager(module, client).run(),
        check=check_options,
        mutually_exclusive=[("record", "record_path")],
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
