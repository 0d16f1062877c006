#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_schedule_info
short_description: Read the time-based schedules of an Alibaba Cloud CloudFlow flow
version_added: 0.1.0
description:
  - Returns one schedule of a flow by O(name), or every schedule of the flow.
  - Paging through C(ListSchedules) happens inside the module.
  - The service has no account-wide schedule listing; to read the schedules of several flows, loop over the flows.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
extends_documentation_fragment:
  - seed.cloudflow.connection
  - seed.cloudflow.connection.action_group
  - seed.cloudflow.attributes.info_module
options:
  flow_name:
    description:
      - The name of the flow. It must exist; a missing flow fails with the service's C(FlowNotExists) answer.
      - 1 to 128 characters; letters, digits, V(_) and V(-); the first character is a letter or V(_).
    type: str
    required: true
  name:
    description:
      - The name of one schedule. When the flow has no schedule of that name, RV(schedules) is empty.
    type: str
    aliases: [schedule_name]
seealso:
  - module: seed.cloudflow.cloudflow_schedule
"""

EXAMPLES = r"""
- name: Read every schedule of a flow
  seed.cloudflow.cloudflow_schedule_info:
    region: cn-hangzhou
    flow_name: nightly-export
  register: found

- name: Show the schedules that are paused
  ansible.builtin.debug:
    msg: "{{ found.schedules | rejectattr('enabled') | map(attribute='name') | list }}"

- name: Read one schedule
  seed.cloudflow.cloudflow_schedule_info:
    flow_name: nightly-export
    name: nightly
  register: nightly
"""

RETURN = r"""
schedules:
  description:
    - The schedules found, in the shape M(seed.cloudflow.cloudflow_schedule) returns, in the service's order.
    - Empty when the flow has no schedules, or none of the given O(name).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The schedule name.
      type: str
      sample: nightly
    flow_name:
      description: The flow the schedule belongs to.
      type: str
      sample: nightly-export
    id:
      description: The schedule id the service assigned.
      type: str
    cron_expression:
      description: When the schedule fires.
      type: str
      sample: "@every 5m"
    payload:
      description: The payload, parsed when it is JSON; V(null) when there is none.
      type: raw
    description:
      description: The description.
      type: str
    enabled:
      description: Whether the schedule fires.
      type: bool
      sample: false
    created_time:
      description: When the schedule was created (UTC, RFC 3339).
      type: str
    last_modified_time:
      description: When the schedule was last changed (UTC, RFC 3339).
      type: str
error:
  description:
    - The service's answer when the task failed on an API call (never a secret) - C(action), C(http_status), C(code),
      C(message) and C(request_id) (for support cases).
  returned: when the task failed on an error answer from the service
  type: dict
  sample: {action: ListSchedules, http_status: 404, code: FlowNotExists, request_id: 5A1B9C0D-1234-5678-9ABC-DEF012345678}
"""

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule, one_or_all, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_names
from ansible_collections.seed.cloudflow.plugins.module_utils._schedules import describe_schedule, list_schedules, schedule_result

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "flow_name": {"type": "str", "required": True},
        "name": {"type": "str", "aliases": ["schedule_name"]},
    }


def check_options(params: dict[str, t.Any]) -> None:
    check_names(params, "flow_name", "name")


def read_schedules(module: CloudFlowModule, client: CloudFlowClient) -> dict[str, t.Any]:
    flow_name = module.params["flow_name"]
    schedules = one_or_all(module.params["name"], lambda name: describe_schedule(client, flow_name, name),
                           lambda: list_schedules(client, flow_name))
    return {"changed": False, "schedules": [schedule_result(schedule, flow_name) for schedule in schedules]}


def main() -> None:
    run_module(argument_spec(), read_schedules, check=check_options,
               subject=lambda params: "Flow {0!r}".format(params["flow_name"]), supports_check_mode=True)


if __name__ == "__main__":
    main()
