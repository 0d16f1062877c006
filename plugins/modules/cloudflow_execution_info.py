#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_execution_info
short_description: Read Alibaba Cloud CloudFlow executions
version_added: 0.1.0
description:
  - Returns one execution of a flow by O(name), or the executions of a flow that match the given filters.
  - Paging through the service's results happens inside the module.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
extends_documentation_fragment:
  - seed.cloudflow.connection
  - seed.cloudflow.connection.action_group
  - seed.cloudflow.attributes.info_module
options:
  flow_name:
    description:
      - The name of the flow. 1 to 128 characters; letters, digits, V(_) and V(-); the first character is a letter or V(_).
    type: str
    required: true
  name:
    description:
      - The name of one execution. When it does not exist, RV(executions) is empty.
      - Mutually exclusive with O(status), O(name_prefix), O(started_after), O(started_before) and O(qualifier).
    type: str
    aliases: [execution_name]
  status:
    description: Only executions with this status.
    type: str
    choices: [Starting, Running, Stopped, Succeeded, Failed, TimedOut]
  name_prefix:
    description: Only executions whose name starts with this text.
    type: str
  started_after:
    description: Only executions started at or after this time (RFC 3339, for example V(2024-05-01T00:00:00Z)).
    type: str
  started_before:
    description: Only executions started at or before this time (RFC 3339).
    type: str
  qualifier:
    description:
      - Only executions of a version (a version number, V(3)) or started through an alias (an alias name, V(production));
        sent as C(Qualifier) to C(ListExecutions).
      - Which executions the service matches is not documented. The local emulator matches, for a version, every
        execution that ran it (started with its number or routed to it by an alias), and for an alias, every execution
        started through it, whatever version it ran. A deleted version or alias still matches its past executions.
      - Same local rules as O(seed.cloudflow.cloudflow_execution#module:qualifier). Mutually exclusive with O(name).
    type: str
  include_history:
    description:
      - Also return each execution's history events (one C(GetExecutionHistory) listing per execution).
    type: bool
    default: false
seealso:
  - module: seed.cloudflow.cloudflow_execution
"""

EXAMPLES = r"""
- name: Read one execution
  seed.cloudflow.cloudflow_execution_info:
    region: cn-hangzhou
    flow_name: nightly-etl
    name: run-2024-05-01
  register: run

- name: List what is running in a flow
  seed.cloudflow.cloudflow_execution_info:
    flow_name: nightly-etl
    status: Running
  register: running

- name: Executions started on the first of May, with their history
  seed.cloudflow.cloudflow_execution_info:
    flow_name: nightly-etl
    started_after: "2024-05-01T00:00:00Z"
    started_before: "2024-05-01T23:59:59Z"
    include_history: true
  register: may_day

- name: Executions of version 3 that failed
  seed.cloudflow.cloudflow_execution_info:
    flow_name: nightly-etl
    qualifier: "3"
    status: Failed
  register: failed_v3

- name: Show the names
  ansible.builtin.debug:
    msg: "{{ running.executions | map(attribute='name') | list }}"
"""

RETURN = r"""
error:
  description:
    - The service's answer when the task failed on an API call (never a secret) - C(action), C(http_status), C(code),
      C(message) and C(request_id) (for support cases).
    - V(FlowNotExists) when O(flow_name) does not exist. A missing O(name) is not an error; RV(executions) is then empty.
  returned: when the task failed on an error answer from the service
  type: dict
  sample: {action: ListExecutions, http_status: 404, code: FlowNotExists, request_id: 5A1B9C0D-1234-5678-9ABC-DEF012345678}
executions:
  description: The executions found, in the shape M(seed.cloudflow.cloudflow_execution) returns.
  returned: always
  type: list
  elements: dict
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
      description: One of V(Starting), V(Running), V(Stopped), V(Succeeded), V(Failed), V(TimedOut).
      type: str
      sample: Running
    started_time:
      description: When the execution started (UTC, RFC 3339).
      type: str
    stopped_time:
      description: When it stopped; V(null) while it is in progress.
      type: str
    input:
      description: The execution input, parsed when it is JSON.
      type: raw
    output:
      description: The execution output, parsed when it is JSON.
      type: raw
    flow_definition:
      description: The flow definition the execution runs.
      type: str
    history:
      description: The history events, oldest first.
      returned: when O(include_history=true)
      type: list
      elements: dict
      contains:
        event_id:
          description: The event's number within the execution.
          type: int
        schedule_event_id:
          description: The event that scheduled this one.
          type: int
        type:
          description: The event type, for example V(ExecutionStarted) or V(StepEntered).
          type: str
        step_name:
          description: The step the event belongs to.
          type: str
        time:
          description: When the event happened.
          type: str
        event_detail:
          description: Event details, parsed when they are JSON.
          type: raw
"""

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._aliases import check_qualifier
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import (
    ALL_STATUSES,
    describe_execution,
    execution_history,
    execution_result,
    list_executions,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule, one_or_all, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_names
from ansible_collections.seed.cloudflow.plugins.module_utils._time import rfc3339_time

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

FILTER_OPTIONS = ("status", "name_prefix", "started_after", "started_before", "qualifier")


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "flow_name": {"type": "str", "required": True},
        "name": {"type": "str", "aliases": ["execution_name"]},
        "status": {"type": "str", "choices": list(ALL_STATUSES)},
        "name_prefix": {"type": "str"},
        "started_after": {"type": "str"},
        "started_before": {"type": "str"},
        "qualifier": {"type": "str"},
        "include_history": {"type": "bool", "default": False},
    }


def check_options(params: dict[str, t.Any]) -> None:
    check_names(params, "flow_name", "name", "name_prefix")
    if params["qualifier"] is not None:
        check_qualifier("qualifier", params["qualifier"])
    started_after = rfc3339_time("started_after", params["started_after"])
    started_before = rfc3339_time("started_before", params["started_before"])
    if started_after and started_before and started_after > started_before:
        raise ConfigurationError("started_after", "must not be later than started_before")


def read_executions(module: CloudFlowModule, client: CloudFlowClient) -> dict[str, t.Any]:
    params = module.params
    executions = one_or_all(params["name"], lambda name: describe_execution(client, params["flow_name"], name), lambda: list_executions(
        client, params["flow_name"], params["status"], params["name_prefix"] or None,
        rfc3339_time("started_after", params["started_after"]), rfc3339_time("started_before", params["started_before"]),
        check_qualifier("qualifier", params["qualifier"]) if params["qualifier"] is not None else None,
    ))
    shaped = [execution_result(execution) for execution in executions]
    if params["include_history"]:
        for execution in shaped:
            execution["history"] = execution_history(client, params["flow_name"], execution["name"])
    return {"changed": False, "executions": shaped}


def main() -> None:
    run_module(
        argument_spec(),
        read_executions,
        check=check_options,
        subject=lambda params: "Flow {0!r}".format(params["flow_name"]),
        mutually_exclusive=[("name", option) for option in FILTER_OPTIONS],
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
