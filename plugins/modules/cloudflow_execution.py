#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_execution
short_description: Start or stop Alibaba Cloud CloudFlow executions idempotently
version_added: 0.1.0
description:
  - Makes sure an execution of an Alibaba Cloud CloudFlow (Serverless Workflow) flow is started or stopped.
  - With O(state=stopped) the module reads the execution's status and calls C(StopExecution) only while the
    execution is in progress (C(Starting) or C(Running)). An execution that finishes between the read and the stop
    (the service answers C(ExecutionAlreadyCompleted)) is reported as unchanged, not as a failure.
  - With O(state=started) the module starts the execution only when no execution of that name exists in the flow.
  - With O(filters) instead of O(name), one task stops every in-progress execution of the flow that matches the
    filters, with bounded concurrency that stays within the service's API quotas.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
extends_documentation_fragment:
  - seed.cloudflow.connection
  - seed.cloudflow.connection.action_group
attributes:
  check_mode:
    description: Only read calls are sent; the result says what a real run would do and report.
    support: full
  diff_mode:
    description: The diff shows the execution status before and after (one entry per execution for O(filters)).
    support: full
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
options:
  flow_name:
    description:
      - The name of the flow the execution belongs to.
      - 1 to 128 characters; letters, digits, V(_) and V(-); the first character is a letter or V(_).
    type: str
    required: true
  name:
    description:
      - The name of the execution, unique within the flow. Same naming rule as O(flow_name).
      - Exactly one of O(name) and O(filters) is required.
    type: str
    aliases: [execution_name]
  state:
    description:
      - V(stopped) makes sure the execution is no longer in progress. It fails when the execution does not exist.
      - V(started) makes sure an execution of that name exists, starting it when it does not. An execution that exists,
        whatever its status, is left alone.
    type: str
    required: true
    choices: [started, stopped]
  input:
    description:
      - The input of the execution, a dict or a string holding a JSON object. Only with O(state=started).
      - When the execution already exists and its recorded input differs, the module warns and changes nothing.
    type: raw
  qualifier:
    description:
      - Run a version of the flow instead of the flow as it is now; a version number (V(3)), or the name of an alias of
        the flow (V(production)), which picks one of its versions by weight. Only with O(state=started).
      - Sent as C(Qualifier) to C(StartExecution). A version or alias that does not exist fails with the service's answer
        (the local emulator answers C(FlowVersionNotExists) or C(FlowAliasNotExists)); check mode does not ask.
      - Checked locally; a version number is digits without a leading zero, an alias name follows the naming rule of
        O(flow_name) (so it never starts with a digit).
      - An execution of that name that exists already is left as it is, whatever it was started with; the service's
        answers do not say which version an execution ran.
    type: str
  cause:
    description:
      - Why the execution is stopped, recorded by the service. 1 to 4096 characters. Only with O(state=stopped).
    type: str
  error:
    description:
      - An error code recorded with the stop. 1 to 128 characters. Only with O(state=stopped).
    type: str
  filters:
    description:
      - Stop every in-progress execution of the flow that matches all the given filters. An empty dict selects every
        in-progress execution of the flow. Only with O(state=stopped); mutually exclusive with O(name).
      - A partial failure still stops every execution it can, then fails naming each execution that could not be
        stopped and why.
    type: dict
    suboptions:
      name_prefix:
        description: Only executions whose name starts with this text.
        type: str
      started_after:
        description: Only executions started at or after this time (RFC 3339, for example V(2024-05-01T00:00:00Z)).
        type: str
      started_before:
        description: Only executions started at or before this time (RFC 3339).
        type: str
  concurrency:
    description:
      - How many stop requests O(filters) keeps in flight at once. The request rate is paced by O(quota_scale) in any case.
    type: int
    default: 4
  wait:
    description:
      - Wait until the execution has finished; for O(state=stopped), until it is no longer in progress.
      - Waiting for one execution long-polls C(DescribeExecution), so the task returns as soon as the service reports
        the final status.
      - With O(filters) and more than one execution stopped, the task instead watches what is still in progress with
        status-filtered C(ListExecutions) pages (up to 99 executions a page, polled at growing intervals up to 10
        seconds), because C(DescribeExecution) is limited to 5 calls a second.
      - Without O(wait), a stopped execution may still report C(Running) for a moment, because the service applies
        stops asynchronously.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds to wait with O(wait). On timeout the task fails with the last status seen.
    type: int
    default: 300
notes:
  - A race between two starts of the same name cannot be told apart by the service's answer; the module reads the
    execution first and reports V(changed=true) only when it was absent.
seealso:
  - module: seed.cloudflow.cloudflow_execution_info
  - ref: ansible_collections.seed.cloudflow.docsite.maintenance_windows
    description: Quiescing flows in a maintenance window.
"""

EXAMPLES = r"""
- name: Stop an execution if it is still running
  seed.cloudflow.cloudflow_execution:
    region: cn-hangzhou
    flow_name: nightly-etl
    name: run-2024-05-01
    state: stopped
    cause: Maintenance window CHG-1234
    error: Maintenance

- name: Stop it and wait until the service reports it stopped
  seed.cloudflow.cloudflow_execution:
    flow_name: nightly-etl
    name: run-2024-05-01
    state: stopped
    wait: true
    wait_timeout: 120

- name: Start an execution once, with input
  seed.cloudflow.cloudflow_execution:
    flow_name: nightly-etl
    name: run-2024-05-02
    state: started
    input:
      date: "2024-05-02"
      full_reload: false

- name: Start an execution of version 3 of the flow
  seed.cloudflow.cloudflow_execution:
    flow_name: nightly-etl
    name: run-2024-05-02-v3
    state: started
    qualifier: "3"

- name: Start an execution through the production alias, which picks the version by weight
  seed.cloudflow.cloudflow_execution:
    flow_name: nightly-etl
    name: run-2024-05-02-prod
    state: started
    qualifier: production

- name: Stop every running execution of a flow whose name starts with "nightly-"
  seed.cloudflow.cloudflow_execution:
    flow_name: nightly-etl
    filters:
      name_prefix: nightly-
    state: stopped
    cause: Deployment of release 42
  register: stopped_runs

- name: Report what was stopped
  ansible.builtin.debug:
    msg: "{{ stopped_runs.executions | selectattr('changed') | map(attribute='name') | list }}"

- name: Share connection settings through module_defaults
  module_defaults:
    group/seed.cloudflow.cloudflow:
      region: cn-hangzhou
      profile: production
  block:
    - name: Stop one execution
      seed.cloudflow.cloudflow_execution:
        flow_name: nightly-etl
        name: run-2024-05-03
        state: stopped
"""

RETURN = r"""
execution:
  description: The execution as the service last reported it. Absent when O(filters) is used.
  returned: when O(name) is given
  type: dict
  contains:
    name:
      description: The execution name.
      type: str
      sample: run-2024-05-01
    flow_name:
      description: The flow name.
      type: str
      sample: nightly-etl
    status:
      description:
        - One of V(Starting), V(Running), V(Stopped), V(Succeeded), V(Failed), V(TimedOut).
        - V(null) in check mode when the execution would be started.
      type: str
      sample: Stopped
    started_time:
      description: When the execution started (UTC, RFC 3339).
      type: str
      sample: "2024-05-01T12:00:00.000Z"
    stopped_time:
      description: When the execution stopped (UTC, RFC 3339); V(null) while it is in progress.
      type: str
      sample: "2024-05-01T12:05:00.000Z"
    input:
      description: The execution input, parsed when it is JSON.
      type: raw
      sample: {"date": "2024-05-01"}
    output:
      description: The execution output, parsed when it is JSON.
      type: raw
    flow_definition:
      description: The flow definition the execution runs.
      type: str
executions:
  description:
    - With O(filters), one entry per in-progress execution that matched, in start order.
  returned: when O(filters) is given
  type: list
  elements: dict
  contains:
    name:
      description: The execution name.
      type: str
    flow_name:
      description: The flow name.
      type: str
    status_before:
      description: The status when the executions were listed.
      type: str
      sample: Running
    status_after:
      description:
        - The last status the service reported after this run's stop request; in check mode, the same as RV(executions[].status_before).
        - Without O(wait) it can still read V(Running), because stops take effect asynchronously.
      type: str
      sample: Stopped
    changed:
      description: Whether this run stopped the execution (in check mode, whether it would).
      type: bool
    started_time:
      description: When the execution started.
      type: str
    input:
      description: The execution input, parsed when it is JSON, so that a later play can start a replacement.
      type: raw
    error:
      description: Why this execution could not be stopped; V(null) when it could.
      type: dict
failed_executions:
  description: With O(filters), the names of the executions that could not be stopped, or not waited for.
  returned: when some executions selected by O(filters) failed
  type: list
  elements: str
  sample: [run-2024-05-01]
error:
  description:
    - The service's answer when the task failed on an API call (never a secret) - C(action), C(http_status), C(code),
      C(message) and C(request_id) (for support cases).
    - V(ExecutionNotExists) (from V(DescribeExecution)) when O(state=stopped) names an execution that does not exist.
  returned: when the task failed on an error answer from the service
  type: dict
  sample: {action: DescribeExecution, http_status: 404, code: ExecutionNotExists, request_id: 5A1B9C0D-1234-5678-9ABC-DEF012345678}
msg:
  description: What the module did, or in check mode what it would do.
  returned: always
  type: str
  sample: Stopped execution 'run-2024-05-01' of flow 'nightly-etl' (it was Running)
"""

import json
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._aliases import check_qualifier
from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import stop_in_progress
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import CloudFlowError, ConfigurationError, FailedWithResult
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import (
    TERMINAL_STATUSES,
    describe_execution,
    execution_result,
    is_in_progress,
    request_start,
    request_stop,
    require_execution,
    wait_until_finished,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._module import Manager, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_length, check_name, check_positive, json_object_text
from ansible_collections.seed.cloudflow.plugins.module_utils._time import rfc3339_time


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "flow_name": {"type": "str", "required": True},
        "name": {"type": "str", "aliases": ["execution_name"]},
        "state": {"type": "str", "required": True, "choices": ["started", "stopped"]},
        "input": {"type": "raw"},
        "qualifier": {"type": "str"},
        "cause": {"type": "str"},
        "error": {"type": "str"},
        "filters": {
            "type": "dict",
            "options": {
                "name_prefix": {"type": "str"},
                "started_after": {"type": "str"},
                "started_before": {"type": "str"},
            },
        },
        "concurrency": {"type": "int", "default": 4},
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 300},
    }


def check_options(params: dict[str, t.Any]) -> None:
    """Every local rule, before the first request."""
    check_name("flow_name", params["flow_name"])
    if params["name"] is not None:
        check_name("name", params["name"])
    if params["state"] == "started":
        for option in ("cause", "error", "filters"):
            if params[option] is not None:
                raise ConfigurationError(option, "is only valid with state=stopped")
    else:
        for option in ("input", "qualifier"):
            if params[option] is not None:
                raise ConfigurationError(option, "is only valid with state=started")
    if params["qualifier"] is not None:
        check_qualifier("qualifier", params["qualifier"])
    json_object_text("input", params["input"])
    check_length("cause", params["cause"], 1, 4096)
    check_length("error", params["error"], 1, 128)
    check_positive("wait_timeout", params["wait_timeout"])
    check_positive("concurrency", params["concurrency"])
    if params["concurrency"] > 32:
        raise ConfigurationError("concurrency", "must be at most 32; the API quotas, not threads, bound the stop rate")
    filters = params["filters"]
    if filters is not None:
        if filters["name_prefix"]:
            check_name("filters.name_prefix", filters["name_prefix"])
        after = rfc3339_time("filters.started_after", filters["started_after"])
        before = rfc3339_time("filters.started_before", filters["started_before"])
        if after and before and after > before:
            raise ConfigurationError("filters.started_after", "must not be later than filters.started_before")


class ExecutionManager(Manager):
    """One execution by name (started or stopped), or every in-progress execution matching filters (stopped)."""

    @property
    def flow_name(self) -> str:
        return t.cast(str, self.params["flow_name"])

    @property
    def name(self) -> str:
        return t.cast(str, self.params["name"])

    def run(self) -> dict[str, t.Any]:
        if self.params["filters"] is not None:
            return self.stop_matching()
        return super().run()

    def _label(self) -> str:
        return "execution {0!r} of flow {1!r}".format(self.name, self.flow_name)

    def _diff(self, before: t.Optional[str], after: t.Optional[str]) -> dict[str, t.Any]:
        return {
            "before": {"name": self.name, "flow_name": self.flow_name, "status": before or "absent"},
            "after": {"name": self.name, "flow_name": self.flow_name, "status": after or "absent"},
        }

    def _wait_after_change(self, execution: dict[str, t.Any], before: t.Optional[str], msg: str) -> dict[str, t.Any]:
        """Wait for the execution this run changed; a failed wait still reports the change."""
        try:
            execution = wait_until_finished(self.client, self.flow_name, self.name, self.params["wait_timeout"])
        except CloudFlowError as error:
            result = self._result(True, execution, before, execution_result(execution)["status"], msg)
            del result["msg"]
            raise FailedWithResult("{0}: {1}".format(_subject(self.params), error), result, error)
        return self._result(True, execution, before, execution_result(execution)["status"], msg)

    def ensure_stopped(self) -> dict[str, t.Any]:
        # A missing execution fails with the service's answer (Code and RequestId in error), like other API failures.
        execution = require_execution(self.client, self.flow_name, self.name, "cannot be stopped")
        status_before = execution_result(execution)["status"]
        if not is_in_progress(execution):
            return self._result(False, execution, status_before, status_before, "{0} is already {1}; nothing to stop".format(
                self._label().capitalize(), status_before))
        if self.check_mode:
            return self._result(True, execution, status_before, "Stopped", "Would stop {0} (it is {1})".format(self._label(), status_before))
        stopped_by_us, reply = request_stop(self.client, self.flow_name, self.name, self.params["cause"], self.params["error"])
        execution = dict(execution, **reply)
        if not stopped_by_us:
            # It finished between our read and our stop: the desired state holds and this run changed nothing.
            status_after = execution_result(execution)["status"]
            return self._result(False, execution, status_before, status_after, "{0} finished by itself ({1}) before it could be stopped".format(
                self._label().capitalize(), status_after))
        msg = "Stopped {0} (it was {1})".format(self._label(), status_before)
        if self.params["wait"]:
            return self._wait_after_change(execution, status_before, msg)
        # The stop takes effect asynchronously: the diff shows the state this run asked for.
        return self._result(True, execution, status_before, "Stopped", msg)

    def ensure_started(self) -> dict[str, t.Any]:
        input_text = json_object_text("input", self.params["input"])
        execution = describe_execution(self.client, self.flow_name, self.name)
        if execution is not None:
            current = execution_result(execution)
            if input_text is not None and not _same_json(input_text, execution.get("Input")):
                self.module.warn("{0} already exists with a different input; it was left as it is".format(self._label().capitalize()))
            if self.params["wait"] and not self.check_mode and current["status"] not in TERMINAL_STATUSES:
                execution = wait_until_finished(self.client, self.flow_name, self.name, self.params["wait_timeout"])
            return self._result(False, execution, current["status"], current["status"], "{0} already exists ({1})".format(
                self._label().capitalize(), current["status"]))
        if self.check_mode:
            planned = {"Name": self.name, "FlowName": self.flow_name, "Input": input_text, "Status": None}
            qualifier = self.params["qualifier"]
            result = self._result(True, planned, None, "Starting", "Would start {0}{1}".format(
                self._label(), " with qualifier {0}".format(qualifier.strip()) if qualifier else ""))
            result["execution"]["status"] = None
            return result
        qualifier = check_qualifier("qualifier", self.params["qualifier"]) if self.params["qualifier"] is not None else None
        started_by_us, execution = request_start(self.client, self.flow_name, self.name, input_text, qualifier)
        status = execution_result(execution)["status"]
        if not started_by_us:
            return self._result(False, execution, status, status, "{0} was started elsewhere and has finished ({1})".format(
                self._label().capitalize(), status))
        msg = "Started {0}{1}".format(self._label(), " with qualifier {0}".format(qualifier) if qualifier else "")
        if self.params["wait"]:
            return self._wait_after_change(execution, None, msg)
        return self._result(True, execution, None, status, msg)

    def _result(
        self, changed: bool, execution: t.Mapping[str, t.Any], before: t.Optional[str], after: t.Optional[str], msg: str
    ) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {"changed": changed, "execution": execution_result(execution), "msg": msg}
        if self.diff_mode:
            result["diff"] = self._diff(before, after)
        return result

    def stop_matching(self) -> dict[str, t.Any]:
        """Stop every in-progress execution that matches O(filters); the result lists each one."""
        filters = self.params["filters"]
        outcome = stop_in_progress(
            self.client,
            self.flow_name,
            cause=self.params["cause"],
            error=self.params["error"],
            check_mode=self.check_mode,
            concurrency=self.params["concurrency"],
            wait=self.params["wait"],
            wait_timeout=self.params["wait_timeout"],
            name_prefix=filters["name_prefix"] or None,
            started_after=rfc3339_time("filters.started_after", filters["started_after"]),
            started_before=rfc3339_time("filters.started_before", filters["started_before"]),
        )
        result: dict[str, t.Any] = {"changed": outcome.changed, "executions": outcome.executions, "msg": outcome.message()}
        if self.diff_mode:
            result["diff"] = {
                "before": {entry["name"]: entry["status_before"] for entry in outcome.executions},
                "after": {entry["name"]: _status_after_for_diff(entry, self.params["wait"]) for entry in outcome.executions},
            }
        if outcome.failed:
            result["failed_executions"] = [entry["name"] for entry in outcome.failed]
            result["failed"] = True
        return result


def _same_json(given: str, recorded: t.Optional[str]) -> bool:
    """Compare inputs as JSON values, so key order and spacing do not count as a difference."""
    try:
        return json.loads(given) == json.loads(recorded or "{}")
    except ValueError:
        return given == recorded


def _status_after_for_diff(entry: dict[str, t.Any], waited: bool) -> t.Optional[str]:
    # Without wait, a stop is asynchronous: show the state this run asked for rather than a stale Running.
    if entry["changed"] and not waited:
        return "Stopped"
    return entry["status_after"]


def _subject(params: dict[str, t.Any]) -> str:
    if params["name"]:
        return "Execution {0!r} of flow {1!r}".format(params["name"], params["flow_name"])
    return "Flow {0!r}".format(params["flow_name"])


def main() -> None:
    run_module(
        argument_spec(),
        lambda module, client: ExecutionManager(module, client).run(),
        check=check_options,
        subject=_subject,
        mutually_exclusive=[("name", "filters")],
        required_one_of=[("name", "filters")],
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
