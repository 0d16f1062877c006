#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_flow_alias
short_description: Manage the aliases of Alibaba Cloud CloudFlow flows as code
version_added: 0.1.0
description:
  - Creates, updates and deletes an alias of an Alibaba Cloud CloudFlow flow. An alias routes the executions started
    through it (O(seed.cloudflow.cloudflow_execution#module:qualifier)) to one or two versions of the flow
    (M(seed.cloudflow.cloudflow_flow_version)), by weight.
  - The routing is compared by meaning; the order of the entries does not matter, and a weight given as V("50") is
    the weight V(50). The service itself spells one routing several ways (C(ListFlowAliases) answers weights as
    strings, the other alias calls as integers).
  - The module reads the alias once and sends C(UpdateFlowAlias) with only what differs, so a second run with the same
    arguments reports no change.
  - O(routing) is checked locally before any request, and the versions it names are checked against the flow's
    versions before any write.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
extends_documentation_fragment:
  - seed.cloudflow.connection
  - seed.cloudflow.connection.action_group
attributes:
  check_mode:
    description:
      - Only read calls are sent; the result and the diff show what a real run would do.
      - When the flow does not exist yet (a play that creates it in an earlier task, run with C(--check)),
        O(state=present) reports the alias as one it would create, with a warning, without checking the versions.
    support: full
  diff_mode:
    description: The diff shows the alias's routing and description before and after.
    support: full
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
options:
  flow_name:
    description:
      - The name of the flow the alias belongs to. The flow must exist.
      - 1 to 128 characters; letters, digits, V(_) and V(-); the first character is a letter or V(_).
    type: str
    required: true
  name:
    description:
      - The name of the alias, unique within the flow. Same naming rule as O(flow_name), so an alias name never starts
        with a digit and never reads as a version number.
      - The service cannot rename an alias.
    type: str
    required: true
    aliases: [alias_name]
  state:
    description:
      - V(present) makes sure the alias exists with the given routing and description; what is not given is left as it is.
      - V(absent) deletes the alias. An alias that does not exist, or whose flow does not exist, is no change.
        Executions started through it are not touched.
    type: str
    choices: [present, absent]
    default: present
  routing:
    description:
      - The versions the alias routes to, with their weights. Required to create an alias; only with O(state=present).
      - One or two entries, each of a different version; the weights are whole numbers from V(0) to V(100) that add up
        to V(100).
    type: list
    elements: dict
    suboptions:
      version:
        description: A version of the flow, as a number or its text (V(3) or V("3")).
        type: raw
        required: true
      weight:
        description:
          - The share of the executions started through the alias that run this version, in percent.
          - A whole number from V(0) to V(100), as a number or its text (V(50) or V("50")).
        type: raw
        required: true
  description:
    description:
      - The description of the alias. When not given, an existing alias keeps its description; V("") clears it.
      - Only with O(state=present).
    type: str
notes:
  - Alias calls fall in the service's quota of 10 requests at once and 2 per second; the client paces itself.
  - A version an alias routes to, even with weight V(0), cannot be deleted (M(seed.cloudflow.cloudflow_flow_version)
    refuses it before asking the service).
  - Schedules cannot name an alias or a version; their executions run the flow as it is now.
seealso:
  - module: seed.cloudflow.cloudflow_flow_alias_info
  - module: seed.cloudflow.cloudflow_flow_version
  - module: seed.cloudflow.cloudflow_execution
"""

EXAMPLES = r"""
- name: Send every execution through the production alias to version 3
  seed.cloudflow.cloudflow_flow_alias:
    region: cn-hangzhou
    flow_name: nightly-etl
    name: production
    description: What the nightly job runs
    routing:
      - version: 3
        weight: 100

- name: A canary; one execution in ten runs version 4
  seed.cloudflow.cloudflow_flow_alias:
    flow_name: nightly-etl
    name: production
    routing:
      - {version: 3, weight: 90}
      - {version: 4, weight: 10}

- name: Change only the description; the routing stays as it is
  seed.cloudflow.cloudflow_flow_alias:
    flow_name: nightly-etl
    name: production
    description: Nightly job, owned by the data team

- name: Start an execution through the alias
  seed.cloudflow.cloudflow_execution:
    flow_name: nightly-etl
    name: run-2024-05-02
    state: started
    qualifier: production

- name: Remove an alias
  seed.cloudflow.cloudflow_flow_alias:
    flow_name: nightly-etl
    name: canary
    state: absent
"""

RETURN = r"""
alias:
  description:
    - The alias after the run; in check mode, what a real run would leave. V(null) when it does not exist.
    - With O(state=absent), V(null).
  returned: always
  type: dict
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
          description: The weight, in percent.
          type: int
          sample: 90
    created_time:
      description: When the alias was created (UTC, RFC 3339); V(null) in check mode for an alias that would be created.
      type: str
changes:
  description:
    - What differs from the alias and was (in check mode, would be) sent, in the order V(routing), V(description).
    - For a new alias, what the create sends. Empty when the alias was deleted or left alone.
  returned: always
  type: list
  elements: str
  sample: [routing]
msg:
  description: What the module did, or in check mode what it would do.
  returned: always
  type: str
  sample: Updated routing of alias 'production' of flow 'nightly-etl'
error:
  description:
    - The service's answer when the task failed on an API call (never a secret) - C(action), C(http_status), C(code),
      C(message) and C(request_id) (for support cases).
  returned: when the task failed on an error answer from the service
  type: dict
  sample: {action: UpdateFlowAlias, http_status: 400, code: InvalidArgument, request_id: 5A1B9C0D-1234-5678-9ABC-DEF012345678}
"""

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._aliases import (
    Routing,
    create_alias,
    delete_alias,
    describe_alias,
    routing_entries,
    routing_from_option,
    routing_from_service,
    update_alias,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import FLOW_ALIAS_ALREADY_EXISTS, FLOW_NOT_EXISTS, ApiError, ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule, Manager, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_name
from ansible_collections.seed.cloudflow.plugins.module_utils._versions import list_versions

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

MANAGED_FIELDS = ("routing", "description")


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "flow_name": {"type": "str", "required": True},
        "name": {"type": "str", "required": True, "aliases": ["alias_name"]},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "routing": {
            "type": "list",
            "elements": "dict",
            "options": {
                "version": {"type": "raw", "required": True},
                "weight": {"type": "raw", "required": True},
            },
        },
        "description": {"type": "str"},
    }


def desired_fields(params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The fields the task sets, checked and normalised (routing as version -> weight); no request is sent."""
    check_name("flow_name", params["flow_name"])
    check_name("name", params["name"])
    desired: dict[str, t.Any] = {}
    if params["state"] == "absent":
        for option in MANAGED_FIELDS:
            if params[option] is not None:
                raise ConfigurationError(option, "is only valid with state=present")
        return desired
    if params["routing"] is not None:
        desired["routing"] = routing_from_option("routing", params["routing"])
    if params["description"] is not None:
        desired["description"] = params["description"]
    return desired


def _routing_of(alias: t.Mapping[str, t.Any]) -> Routing:
    return routing_from_service([{"Version": entry["version"], "Weight": entry["weight"]} for entry in alias["routing"]])


def _diff_side(alias: t.Optional[t.Mapping[str, t.Any]]) -> dict[str, t.Any]:
    return {"routing": alias["routing"], "description": alias["description"]} if alias else {}


class AliasManager(Manager):
    """One alias of a flow, present (with the routing and description the task sets) or absent."""

    def __init__(self, module: CloudFlowModule, client: CloudFlowClient) -> None:
        super().__init__(module, client)
        self.desired = desired_fields(self.params)
        self.flow_name: str = self.params["flow_name"]
        self.name: str = self.params["name"]

    def _label(self) -> str:
        return "alias {0!r} of flow {1!r}".format(self.name, self.flow_name)

    def _result(self, changed: bool, before: t.Optional[dict[str, t.Any]], after: t.Optional[dict[str, t.Any]], msg: str,
                changes: t.Sequence[str] = ()) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {"changed": changed, "alias": after, "changes": list(changes), "msg": msg}
        if self.diff_mode:
            result["diff"] = {"before": _diff_side(before), "after": _diff_side(after)}
        return result

    def _planned(self, current: t.Optional[t.Mapping[str, t.Any]], changes: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        planned = dict(current) if current else {
            "flow_name": self.flow_name, "name": self.name, "description": "", "routing": [], "created_time": None,
        }
        if "routing" in changes:
            planned["routing"] = routing_entries(changes["routing"])
        if "description" in changes:
            planned["description"] = changes["description"]
        return planned

    def _check_versions(self, routing: Routing) -> None:
        """The routed versions exist (one read, before any write): the service would refuse the write otherwise."""
        versions = [entry["version"] for entry in list_versions(self.client, self.flow_name)]
        missing = [version for version in routing if version not in versions]
        if missing:
            raise ConfigurationError("routing", "flow {0!r} has no version {1} (its versions: {2})".format(
                self.flow_name, ", ".join(missing), ", ".join(versions) or "none; publish one with seed.cloudflow.cloudflow_flow_version"))

    def ensure_present(self) -> dict[str, t.Any]:
        try:
            current = describe_alias(self.client, self.flow_name, self.name)
        except ApiError as error:
            if error.code != FLOW_NOT_EXISTS or not self.check_mode:
                raise
            self.module.warn("Flow {0!r} does not exist yet: in check mode the alias is reported as one a real run would create, "
                             "which succeeds only if the flow and the versions it routes to exist by then".format(self.flow_name))
            return self._create(check_versions=False)
        if current is None:
            return self._create()
        return self._update(current)

    def _create(self, check_versions: bool = True) -> dict[str, t.Any]:
        if "routing" not in self.desired:
            raise ConfigurationError("routing", "is required to create {0}, which does not exist".format(self._label()))
        changes = [field for field in MANAGED_FIELDS if field in self.desired]
        planned = self._planned(None, self.desired)
        if check_versions:
            self._check_versions(self.desired["routing"])
        if self.check_mode:
            return self._result(True, None, planned, "Would create {0}".format(self._label()), changes)
        try:
            created = create_alias(self.client, self.flow_name, self.name, self.desired["routing"], self.desired.get("description"))
        except ApiError as error:
            if error.code != FLOW_ALIAS_ALREADY_EXISTS:
                raise
            current = describe_alias(self.client, self.flow_name, self.name)
            if current is None:
                raise
            if error.attempts > 1:
                # An earlier attempt created it and its reply was lost.
                return self._result(True, None, current, "Created {0}".format(self._label()), changes)
            # Created elsewhere between our read and our create: converge it like any existing alias.
            return self._update(current)
        return self._result(True, None, created, "Created {0}".format(self._label()), changes)

    def _update(self, current: dict[str, t.Any]) -> dict[str, t.Any]:
        updates: dict[str, t.Any] = {}
        if "routing" in self.desired and self.desired["routing"] != _routing_of(current):
            updates["routing"] = self.desired["routing"]
        if "description" in self.desired and self.desired["description"] != current["description"]:
            updates["description"] = self.desired["description"]
        changes = [field for field in MANAGED_FIELDS if field in updates]
        if not changes:
            return self._result(False, current, current, "{0} is up to date".format(self._label().capitalize()))
        if "routing" in updates:
            self._check_versions(updates["routing"])
        planned = self._planned(current, updates)
        what = " and ".join(changes)
        if self.check_mode:
            return self._result(True, current, planned, "Would update {0} of {1}".format(what, self._label()), changes)
        updated = update_alias(self.client, self.flow_name, self.name, routing=updates.get("routing"), description=updates.get("description"))
        return self._result(True, current, updated, "Updated {0} of {1}".format(what, self._label()), changes)

    def ensure_absent(self) -> dict[str, t.Any]:
        try:
            current = describe_alias(self.client, self.flow_name, self.name)
        except ApiError as error:
            if error.code != FLOW_NOT_EXISTS:
                raise
            return self._result(False, None, None, "Flow {0!r} does not exist, nor does its alias {1!r}".format(self.flow_name, self.name))
        if current is None:
            return self._result(False, None, None, "{0} does not exist".format(self._label().capitalize()))
        if self.check_mode:
            return self._result(True, current, None, "Would delete {0}".format(self._label()))
        if not delete_alias(self.client, self.flow_name, self.name):
            return self._result(False, current, None, "{0} was deleted elsewhere in the meantime".format(self._label().capitalize()))
        return self._result(True, current, None, "Deleted {0}".format(self._label()))


def main() -> None:
    run_module(
        argument_spec(),
        lambda module, client: AliasManager(module, client).run(),
        check=desired_fields,
        subject=lambda params: "Alias {0!r} of flow {1!r}".format(params["name"], params["flow_name"]),
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
