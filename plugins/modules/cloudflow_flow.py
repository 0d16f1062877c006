#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_flow
short_description: Create, update and delete Alibaba Cloud CloudFlow flows
version_added: 0.1.0
description:
  - Makes sure an Alibaba Cloud CloudFlow (Serverless Workflow) flow exists with the given settings, or does not exist.
  - The definition is compared by meaning, not as text. A dict, a YAML string with other spacing, key order or
    comments, and a JSON string of the same document are the same definition, so a rerun with the definition
    given in another form reports V(changed=false).
  - Only the settings that differ are sent to C(UpdateFlow). Settings that are not given are left as they are.
  - With O(state=absent), a flow with executions in progress is not deleted unless O(force=true). The flow's
    schedules are deleted before the flow, because what the service does with them on C(DeleteFlow) is not documented.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
extends_documentation_fragment:
  - seed.cloudflow.connection
  - seed.cloudflow.connection.action_group
attributes:
  check_mode:
    description: Only read calls are sent; the result says what a real run would change, stop and delete.
    support: full
  diff_mode:
    description:
      - The diff shows the flow's settings before and after as YAML, with the definition as readable text.
      - Both sides show the definition in one layout, so that only changes of meaning appear.
    support: full
  idempotent:
    description: A second run with the same options reports V(changed=false) and sends no write.
    support: full
options:
  name:
    description:
      - The name of the flow. 1 to 128 characters; letters, digits, V(_) and V(-); the first character is a letter or V(_).
      - The service cannot rename a flow.
    type: str
    required: true
  state:
    description:
      - V(present) creates the flow, or updates the settings that differ.
      - V(absent) deletes the flow, after deleting its schedules. See O(force) and O(wait).
    type: str
    choices: [present, absent]
    default: present
  definition:
    description:
      - The flow definition (FDL), as a dict or as a YAML or JSON string holding a mapping.
      - Required to create a flow.
      - A string is sent exactly as written, so its comments and layout are what the console shows; a dict is sent as block YAML.
      - When the definition has a top-level C(Name), it must be the flow's O(name) (the service requires it).
      - Ignored with O(state=absent).
    type: raw
  description:
    description:
      - The description of the flow.
      - Required to create a flow, because the C(CreateFlow) API requires a description. The module does not invent one.
      - When not given for an existing flow, its description is left as it is.
    type: str
  type:
    description:
      - The type of the definition. The service documents V(FDL) only.
      - No default. When not given, a new flow is created with V(FDL) (the C(CreateFlow) API requires a type) and the
        type of an existing flow is neither compared nor changed, so a flow whose service reports another type stays
        as it is.
    type: str
  role_arn:
    description:
      - The RAM role the service assumes to run the flow's steps, for example V(acs:ram::1234567890123456:role/cloudflow-run).
      - When not given, the role is left as it is. Whether the service clears a role when V("") is sent is not
        documented; the module fails when the service's answer shows a change was not applied.
    type: str
  execution_mode:
    description:
      - How the flow runs. The service sets it only when a flow is created.
      - On an existing flow, a different value fails before any write, because the flow must be deleted and created again to change it.
      - When not given, a new flow gets the service's default (V(Standard)) and an existing flow is not checked.
    type: str
    choices: [Standard, Express]
  environment:
    description:
      - The flow's environment variables, as a dict of name to value. Values are text; numbers are sent as their text.
      - The whole set is managed; V({}) removes every variable. When not given, the variables are left as they are.
      - Only names and values are managed and compared. The service also keeps a description per variable; a variable
        the flow already has keeps the service's description when the set is sent, a new variable has none.
    type: dict
  force:
    description:
      - With O(state=absent), stop the flow's executions in progress (within the service's API quotas) before deleting
        the flow. Without it, a flow with executions in progress is not deleted; the task fails, lists them and changes nothing.
    type: bool
    default: false
  wait:
    description:
      - With O(state=absent), return only once C(DescribeFlow) answers C(FlowNotExists). The service deletes flows
        asynchronously, so without O(wait) the flow can still be found for a moment after the task.
      - Use O(wait=true) when a task creates the flow again afterwards (for example to change O(execution_mode)). A
        O(state=present) task right after a deletion that did not wait may find the old flow and update it, and the
        flow then vanishes when the pending deletion completes.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds O(wait) waits for the deletion before the task fails.
    type: float
    default: 300
notes:
  - The module compares execution modes with the service's empty answer read as V(Standard).
  - The flow's C(ExternalStorageLocation) and C(ResourceGroupId) are not managed. C(DescribeFlow) does not return the
    external storage location, so it could not be compared; a flow is created in the account's default resource group.
  - A missing description reads as V("") in RV(flow.description), as in M(seed.cloudflow.cloudflow_schedule).
  - The definition is loaded with PyYAML, which ansible-core depends on. YAML 1.1 rules apply to both sides alike,
    so V(yes) unquoted and V(true) compare equal.
seealso:
  - module: seed.cloudflow.cloudflow_flow_info
  - module: seed.cloudflow.cloudflow_execution
  - ref: ansible_collections.seed.cloudflow.docsite.flows_as_code
    description: Flows as code, with a deployment pipeline.
"""

EXAMPLES = r"""
- name: Deploy the nightly ETL flow from a file in the repository
  seed.cloudflow.cloudflow_flow:
    region: cn-hangzhou
    name: nightly-etl
    description: Nightly extract, transform and load
    definition: "{{ lookup('ansible.builtin.file', 'flows/nightly-etl.yaml') }}"
    role_arn: acs:ram::1234567890123456:role/cloudflow-run
    environment:
      TARGET_BUCKET: etl-output
      BATCH_SIZE: 500
  register: deployed

- name: The same flow with the definition written inline as a dict
  seed.cloudflow.cloudflow_flow:
    name: hello
    description: Says hello
    definition:
      version: v1
      type: flow
      steps:
        - type: pass
          name: hello

- name: An Express flow (the mode is set at creation only)
  seed.cloudflow.cloudflow_flow:
    name: fast-path
    description: Short-lived requests
    execution_mode: Express
    definition: "{{ lookup('ansible.builtin.file', 'flows/fast-path.yaml') }}"

- name: Delete a flow, stopping what still runs and deleting its schedules, and wait until it is gone
  seed.cloudflow.cloudflow_flow:
    name: old-report
    state: absent
    force: true
    wait: true
"""

RETURN = r"""
flow:
  description:
    - The flow after the task; in check mode, the flow a real run would leave (a new flow then has no RV(flow.id) or times yet).
    - With O(state=absent), the flow as it was before the deletion; V(null) when it did not exist.
  returned: always
  type: dict
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
      description: The description of the flow; V("") when it has none.
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
      sample: {TARGET_BUCKET: etl-output}
    created_time:
      description: When the flow was created (UTC, RFC 3339).
      type: str
    last_modified_time:
      description: When the flow was last changed.
      type: str
changes:
  description:
    - The names of the options whose values differ from the service's and were (in check mode, would be) sent, in the
      order V(definition), V(description), V(type), V(role_arn), V(execution_mode), V(environment).
    - For a new flow, every option the create sends, V(type) included when it was omitted (V(FDL) is sent).
    - The same name and meaning as RV(seed.cloudflow.cloudflow_schedule#module:changes).
  returned: with O(state=present)
  type: list
  elements: str
  sample: [definition, environment]
executions:
  description:
    - With O(force=true), the executions that were in progress and what the task did to each (in check mode, would do).
    - When the task fails because executions are in progress and O(force=false), the executions it found.
  returned: with O(state=absent)
  type: list
  elements: dict
  contains:
    name:
      description: The execution name.
      type: str
    status_before:
      description: Its status when it was found.
      type: str
    status_after:
      description: The last status the service reported after the stop request.
      type: str
    changed:
      description: Whether this task stopped it (in check mode, whether it would).
      type: bool
    error:
      description: Why it could not be stopped; V(null) when it could.
      type: dict
deleted_schedules:
  description: The names of the flow's schedules this task deleted; in check mode, the ones it would delete.
  returned: with O(state=absent)
  type: list
  elements: str
  sample: [every-night]
error:
  description:
    - The service's answer when the task failed on an API call (never a secret) - C(action), C(http_status), C(code),
      C(message) and C(request_id) (for support cases).
  returned: when the task failed on an error answer from the service
  type: dict
  sample: {action: UpdateFlow, http_status: 409, code: ConcurrentUpdateError, request_id: 5A1B9C0D-1234-5678-9ABC-DEF012345678}
"""

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError, FailedWithResult
from ansible_collections.seed.cloudflow.plugins.module_utils._flows import (
    EXECUTION_MODES,
    YAML_IMPORT_ERROR,
    FlowSpec,
    create_flow,
    describe_flow,
    diff_text,
    flow_result,
    remove_flow,
    update_flow,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule, Manager, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_name, check_positive

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

STOP_CAUSE = "Stopped by Ansible (seed.cloudflow.cloudflow_flow force=true) to delete the flow"


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "definition": {"type": "raw"},
        "description": {"type": "str"},
        "type": {"type": "str"},
        "role_arn": {"type": "str"},
        "execution_mode": {"type": "str", "choices": list(EXECUTION_MODES)},
        "environment": {"type": "dict"},
        "force": {"type": "bool", "default": False},
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "float", "default": 300.0},
    }


def flow_spec(params: t.Mapping[str, t.Any]) -> FlowSpec:
    """Every local rule, before the first request."""
    check_name("name", params["name"])
    check_positive("wait_timeout", params["wait_timeout"])
    if params["state"] == "present":
        for option in ("force", "wait"):
            if params[option]:
                raise ConfigurationError(option, "is only valid with state=absent")
        if params["type"] == "":
            raise ConfigurationError("type", "must not be empty")
        return FlowSpec(
            params["name"],
            definition=params["definition"],
            description=params["description"],
            type_=params["type"],
            role_arn=params["role_arn"],
            execution_mode=params["execution_mode"],
            environment=params["environment"],
        )
    return FlowSpec(params["name"])


def diff_result(before: t.Optional[t.Mapping[str, t.Any]], after: t.Optional[t.Mapping[str, t.Any]], name: str) -> dict[str, str]:
    return {
        "before": diff_text(before),
        "after": diff_text(after),
        "before_header": "flow {0} (service)".format(name),
        "after_header": "flow {0} (task)".format(name),
    }


class FlowManager(Manager):
    def __init__(self, module: CloudFlowModule, client: CloudFlowClient) -> None:
        super().__init__(module, client)
        self.spec = flow_spec(self.params)

    def ensure_present(self) -> dict[str, t.Any]:
        spec = self.spec
        current = describe_flow(self.client, spec.name)
        if current is None:
            changes = spec.create_options()
            record = spec.predicted(None, changes) if self.check_mode else create_flow(self.client, spec.create_params())
        else:
            spec.check_immutable(current)
            changes = spec.changed_options(current)
            if not changes:
                record = current
            elif self.check_mode:
                record = spec.predicted(current, changes)
            else:
                answer = update_flow(self.client, spec.update_params(changes, current))
                record = dict(current)
                record.update(answer)
                unapplied = spec.unapplied(answer, changes)
                if unapplied:
                    raise FailedWithResult(
                        "Flow {0!r}: UpdateFlow was accepted, but the service's answer does not show the new value of {1}".format(
                            spec.name, ", ".join(unapplied)),
                        {"changed": True, "flow": flow_result(record), "changes": changes},
                    )
        result: dict[str, t.Any] = {"changed": bool(changes), "flow": flow_result(record), "changes": changes}
        if self.diff_mode and changes:
            result["diff"] = diff_result(current, record, spec.name)
        return result

    def ensure_absent(self) -> dict[str, t.Any]:
        current = describe_flow(self.client, self.spec.name)
        if current is None:
            return {"changed": False, "flow": None, "executions": [], "deleted_schedules": []}
        removal = remove_flow(
            self.client, current, force=self.params["force"], check_mode=self.check_mode,
            wait=self.params["wait"], wait_timeout=self.params["wait_timeout"], cause=STOP_CAUSE,
        )
        if removal.vanished:
            # Deleted elsewhere between DescribeFlow and the listings: already absent, as cloudflow_flow_info sees it.
            return {"changed": removal.changed, "flow": None, "executions": removal.executions, "deleted_schedules": []}
        result: dict[str, t.Any] = {
            # In check mode the flow exists, so a real run would delete it.
            "changed": True if self.check_mode else removal.changed,
            "flow": flow_result(current),
            "executions": removal.executions,
            "deleted_schedules": removal.schedules if self.check_mode else removal.deleted_schedules,
        }
        if self.diff_mode:
            result["diff"] = diff_result(current, None, self.spec.name)
        return result


def main() -> None:
    run_module(
        argument_spec(),
        lambda module, client: FlowManager(module, client).run(),
        check=flow_spec,
        subject=lambda params: "Flow {0!r}".format(params["name"]),
        libraries=[("PyYAML", YAML_IMPORT_ERROR)],
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
