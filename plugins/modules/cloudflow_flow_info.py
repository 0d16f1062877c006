#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_flow_info
short_description: Read Alibaba Cloud CloudFlow flows
version_added: 0.1.0
description:
  - Returns one flow by O(name), or every flow of the account in the region, optionally only those whose name
    starts with O(name_prefix).
  - Paging through C(ListFlows) happens inside the module, so every flow is returned however many there are.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
extends_documentation_fragment:
  - seed.cloudflow.connection
  - seed.cloudflow.connection.action_group
  - seed.cloudflow.attributes.info_module
options:
  name:
    description:
      - The name of one flow. When it does not exist, RV(flows) is empty.
      - Mutually exclusive with O(name_prefix).
    type: str
    aliases: [flow_name]
  name_prefix:
    description:
      - Only flows whose name starts with this text. C(ListFlows) has no such filter, so every page is still read.
    type: str
  include_schedules:
    description:
      - Also return each flow's schedules (one C(ListSchedules) listing per flow).
    type: bool
    default: false
seealso:
  - module: seed.cloudflow.cloudflow_flow
  - module: seed.cloudflow.cloudflow_schedule_info
"""

EXAMPLES = r"""
- name: Read one flow
  seed.cloudflow.cloudflow_flow_info:
    region: cn-hangzhou
    name: nightly-etl
  register: etl

- name: Fail when the flow is missing
  ansible.builtin.assert:
    that: etl.flows | length == 1

- name: Every flow of a team, with its schedules
  seed.cloudflow.cloudflow_flow_info:
    name_prefix: billing-
    include_schedules: true
  register: billing

- name: Show the flows whose schedules are all disabled
  ansible.builtin.debug:
    msg: "{{ billing.flows | rejectattr('schedules', 'selectattr', 'enabled') | map(attribute='name') | list }}"
"""

RETURN = r"""
flows:
  description: The flows found, in the shape M(seed.cloudflow.cloudflow_flow) returns, sorted by name; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The flow name.
      type: str
      sample: nightly-etl
    id:
      description: The service's id of the flow.
      type: str
    definition:
      description: The definition text the service holds.
      type: str
    description:
      description: The description of the flow.
      type: str
    type:
      description: The definition type.
      type: str
      sample: FDL
    role_arn:
      description: The RAM role of the flow; V(null) when it has none.
      type: str
    execution_mode:
      description: V(Standard) or V(Express).
      type: str
      sample: Standard
    environment:
      description: The environment variables, name to value.
      type: dict
    created_time:
      description: When the flow was created (UTC, RFC 3339).
      type: str
    last_modified_time:
      description: When the flow was last changed.
      type: str
    schedules:
      description: The flow's schedules, in the shape M(seed.cloudflow.cloudflow_schedule) returns.
      returned: when O(include_schedules=true)
      type: list
      elements: dict
error:
  description:
    - The service's answer when the task failed on an API call (never a secret) - C(action), C(http_status), C(code),
      C(message) and C(request_id) (for support cases).
  returned: when the task failed on an error answer from the service
  type: dict
  sample: {action: ListFlows, http_status: 429, code: ResourceThrottled, request_id: 5A1B9C0D-1234-5678-9ABC-DEF012345678}
"""

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import FLOW_NOT_EXISTS, ApiError
from ansible_collections.seed.cloudflow.plugins.module_utils._flows import describe_flow, flow_result, list_flows
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule, one_or_all, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_names
from ansible_collections.seed.cloudflow.plugins.module_utils._schedules import list_schedules, schedule_result

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "name": {"type": "str", "aliases": ["flow_name"]},
        "name_prefix": {"type": "str"},
        "include_schedules": {"type": "bool", "default": False},
    }


def check_options(params: dict[str, t.Any]) -> None:
    check_names(params, "name")


def read_flows(module: CloudFlowModule, client: CloudFlowClient) -> dict[str, t.Any]:
    params = module.params
    flows = one_or_all(params["name"], lambda name: describe_flow(client, name), lambda: list_flows(client, params["name_prefix"] or None))
    shaped = sorted((flow_result(flow) for flow in flows), key=lambda flow: flow["name"] or "")
    if params["include_schedules"]:
        for flow in list(shaped):
            try:
                flow["schedules"] = [schedule_result(schedule, flow["name"]) for schedule in list_schedules(client, flow["name"])]
            except ApiError as error:
                if error.code != FLOW_NOT_EXISTS:
                    raise
                # Deleted (or being deleted) between the listing and now: it no longer exists.
                shaped.remove(flow)
    return {"changed": False, "flows": shaped}


def main() -> None:
    run_module(argument_spec(), read_flows, check=check_options, mutually_exclusive=[("name", "name_prefix")], supports_check_mode=True)


if __name__ == "__main__":
    main()
