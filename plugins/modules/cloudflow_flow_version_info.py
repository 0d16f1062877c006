#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_flow_version_info
short_description: Read the versions of an Alibaba Cloud CloudFlow flow
version_added: 0.1.0
description:
  - Returns the versions of a flow, oldest first, or one version by O(version).
  - Paging through C(ListFlowVersions) happens inside the module.
  - C(ListFlowVersions) answers no content; with O(include_definition=true) the module reads each version's
    definition, flow description, environment variables and role with one C(DescribeFlow) per version.
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
  version:
    description:
      - One version, as a number or its text (V(3) or V("3")). When the flow has no such version, RV(versions) is empty.
    type: raw
  include_definition:
    description:
      - Also return what each version holds (RV(versions[].definition), RV(versions[].flow_description),
        RV(versions[].environment), RV(versions[].role_arn)), at the cost of one C(DescribeFlow) per version.
      - Those calls fall in the service's quota of 2 per second (10 at once), so a flow with many versions takes a while.
    type: bool
    default: false
seealso:
  - module: seed.cloudflow.cloudflow_flow_version
  - module: seed.cloudflow.cloudflow_flow_alias_info
"""

EXAMPLES = r"""
- name: List the versions of a flow
  seed.cloudflow.cloudflow_flow_version_info:
    region: cn-hangzhou
    flow_name: nightly-etl
  register: found

- name: Show the newest version number
  ansible.builtin.debug:
    msg: "{{ (found.versions | last).version }}"

- name: Read what version 3 holds
  seed.cloudflow.cloudflow_flow_version_info:
    flow_name: nightly-etl
    version: 3
    include_definition: true
  register: third
"""

RETURN = r"""
versions:
  description:
    - The versions found, oldest first. Empty when the flow has no versions, or none of the given O(version).
  returned: success
  type: list
  elements: dict
  contains:
    flow_name:
      description: The flow the version belongs to.
      type: str
      sample: nightly-etl
    version:
      description: The version number, as the service writes it.
      type: str
      sample: "3"
    description:
      description: The version's own description, given when it was published; V("") when it has none.
      type: str
    created_time:
      description: When the version was published (UTC, RFC 3339).
      type: str
    definition:
      description: The definition text the version holds.
      type: str
      returned: when O(include_definition=true)
    flow_description:
      description: The flow's description as the version holds it.
      type: str
      returned: when O(include_definition=true)
    environment:
      description: The environment variables the version holds, name to value.
      type: dict
      returned: when O(include_definition=true)
    role_arn:
      description: The execution role the version holds; V(null) when none.
      type: str
      returned: when O(include_definition=true)
error:
  description:
    - The service's answer when the task failed on an API call (never a secret) - C(action), C(http_status), C(code),
      C(message) and C(request_id) (for support cases).
  returned: when the task failed on an error answer from the service
  type: dict
  sample: {action: ListFlowVersions, http_status: 404, code: FlowNotExists, request_id: 5A1B9C0D-1234-5678-9ABC-DEF012345678}
"""

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import FLOW_VERSION_NOT_EXISTS, ApiError
from ansible_collections.seed.cloudflow.plugins.module_utils._flows import environment_from_service
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_name
from ansible_collections.seed.cloudflow.plugins.module_utils._versions import check_version, describe_version, list_versions

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "flow_name": {"type": "str", "required": True},
        "version": {"type": "raw"},
        "include_definition": {"type": "bool", "default": False},
    }


def check_options(params: t.Mapping[str, t.Any]) -> t.Optional[str]:
    check_name("flow_name", params["flow_name"])
    return check_version("version", params["version"]) if params["version"] is not None else None


def read_versions(module: CloudFlowModule, client: CloudFlowClient) -> dict[str, t.Any]:
    flow_name = module.params["flow_name"]
    wanted = check_options(module.params)
    versions = [entry for entry in list_versions(client, flow_name) if wanted is None or entry["version"] == wanted]
    if module.params["include_definition"]:
        read = []
        for entry in versions:
            try:
                held = describe_version(client, flow_name, entry["version"])
            except ApiError as error:
                if error.code != FLOW_VERSION_NOT_EXISTS:
                    raise
                continue  # deleted since the listing: no longer one of the flow's versions
            read.append(entry)
            entry.update({
                "definition": held.get("Definition"),
                "flow_description": held.get("Description") or "",
                "environment": environment_from_service(held.get("Environment")),
                "role_arn": held.get("RoleArn") or None,
            })
        versions = read
    return {"changed": False, "versions": versions}


def main() -> None:
    run_module(argument_spec(), read_versions, check=check_options,
               subject=lambda params: "Flow {0!r}".format(params["flow_name"]), supports_check_mode=True)


if __name__ == "__main__":
    main()
