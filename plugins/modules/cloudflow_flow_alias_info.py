#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_flow_alias_info
short_description: Read the aliases of an Alibaba Cloud CloudFlow flow
version_added: 0.1.0
description:
  - Returns one alias of a flow by O(name), or every alias of the flow, in name order.
  - Paging through C(ListFlowAliases) happens inside the module.
  - Weights are returned as integers, whichever way the service spelled them (C(ListFlowAliases) answers them as strings).
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
      - The name of one alias. When the flow has no alias of that name, RV(aliases) is empty.
    type: str
    aliases: [alias_name]
seealso:
  - module: seed.cloudflow.cloudflow_flow_alias
  - module: seed.cloudflow.cloudflow_flow_version_info
"""

EXAMPLES = r"""
- name: Read every alias of a flow
  seed.cloudflow.cloudflow_flow_alias_info:
    region: cn-hangzhou
    flow_name: nightly-etl
  register: found

- name: Show the versions the production alias routes to
  ansible.builtin.debug:
    msg: "{{ (found.aliases | selectattr('name', 'eq', 'production') | first).routing | map(attribute='version') | list }}"

- name: Read one alias
  seed.cloudflow.cloudflow_flow_alias_info:
    flow_name: nightly-etl
    name: production
  register: production
"""

RETURN = r"""
aliases:
  description:
    - The aliases found, in the shape M(seed.cloudflow.cloudflow_flow_alias) returns, in name order.
    - Empty when the flow has no aliases, or none of the given O(name).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The alias name.
      type: str
      sample: production
    flow_name:
      description: The flow the alias belongs to.
      type: str
      sample: nightly-etl
    description:
      description: The description; V("") when it has none.
      type: str
    routing:
      description: The versions the alias routes to, highest weight first (then by version).
      type: list
      elements: dict
      contains:
        version:
          description: The version number.
          type: str
          sample: "3"
        weight:
          description: The weight, in percent, as an integer.
          type: int
          sample: 100
    created_time:
      description: When the alias was created (UTC, RFC 3339).
      type: str
error:
  description:
    - The service's answer when the task failed on an API call (never a secret) - C(action), C(http_status), C(code),
      C(message) and C(request_id) (for support cases).
  returned: when the task failed on an error answer from the service
  type: dict
  sample: {action: ListFlowAliases, http_status: 404, code: FlowNotExists, request_id: 5A1B9C0D-1234-5678-9ABC-DEF012345678}
"""

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._aliases import describe_alias, list_aliases
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule, one_or_all, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_names

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "flow_name": {"type": "str", "required": True},
        "name": {"type": "str", "aliases": ["alias_name"]},
    }


def check_options(params: dict[str, t.Any]) -> None:
    check_names(params, "flow_name", "name")


def read_aliases(module: CloudFlowModule, client: CloudFlowClient) -> dict[str, t.Any]:
    flow_name = module.params["flow_name"]
    aliases = one_or_all(module.params["name"], lambda name: describe_alias(client, flow_name, name),
                         lambda: sorted(list_aliases(client, flow_name), key=lambda alias: str(alias["name"])))
    return {"changed": False, "aliases": aliases}


def main() -> None:
    run_module(argument_spec(), read_aliases, check=check_options,
               subject=lambda params: "Flow {0!r}".format(params["flow_name"]), supports_check_mode=True)


if __name__ == "__main__":
    main()
