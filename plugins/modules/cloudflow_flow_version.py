#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_flow_version
short_description: Publish, delete and prune the versions of an Alibaba Cloud CloudFlow flow
version_added: 0.1.0
description:
  - A version is an immutable snapshot of a flow's definition, description, environment variables and execution role,
    numbered by the service from V(1). Executions and aliases can name a version (see
    M(seed.cloudflow.cloudflow_flow_alias) and O(seed.cloudflow.cloudflow_execution#module:qualifier)).
  - With O(state=present) the module publishes a version only when the flow as it is now differs from its newest
    version, and returns that version either way. The service itself publishes on every call, changed or not.
  - The flow is compared with its newest version field by field; the definition by meaning, as
    M(seed.cloudflow.cloudflow_flow) compares it (a YAML text with other spacing, key order or comments is the same
    definition), then the flow's description, its environment variables (names and values) and its role.
  - With O(state=absent) and O(version), the module deletes that version. It refuses, before any write, a version
    that an alias routes to (with any weight, V(0) included), naming the alias, and a version with executions in
    progress, naming them.
  - With O(state=absent) and O(keep), the module prunes; it keeps the newest O(keep) versions and deletes the older
    ones, except those an alias routes to or with executions in progress, which it keeps and reports with the reason
    in RV(kept).
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
extends_documentation_fragment:
  - seed.cloudflow.connection
  - seed.cloudflow.connection.action_group
attributes:
  check_mode:
    description:
      - Only read calls are sent; the result says what a real run would publish, delete and keep.
      - A version that would be published has no number yet (the service assigns it when publishing), so
        RV(version) is V(null) in check mode when a version would be published.
      - When the flow does not exist yet (a play that creates it in an earlier task, run with C(--check)),
        O(state=present) reports a version as one a real run would publish, with a warning.
    support: full
  diff_mode:
    description:
      - The diff shows the flow's version numbers before and after. In check mode a version that would be published
        shows as V((new)).
    support: full
  idempotent:
    description:
      - A second run with the same arguments reports no change. O(state=present) publishes again only after the flow
        changed.
    support: full
options:
  flow_name:
    description:
      - The name of the flow. 1 to 128 characters; letters, digits, V(_) and V(-); the first character is a letter or V(_).
    type: str
    required: true
  state:
    description:
      - V(present) publishes the flow as a new version when it differs from its newest version (or has none).
      - V(absent) deletes the version O(version), or prunes down to the newest O(keep) versions. One of them is required.
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - The description of the version published, the version's own (not the flow's description, which is part of the
        version's content). Only with O(state=present).
      - Used only when a version is published; a flow that did not change is not published again for another
        description, because versions cannot be changed.
    type: str
  version:
    description:
      - With O(state=absent), the version to delete, as a number or its text (V(3) or V("3")).
      - A version that does not exist is no change.
      - Mutually exclusive with O(keep).
    type: raw
  keep:
    description:
      - With O(state=absent), prune; keep the newest O(keep) versions and delete the older ones.
      - An older version that an alias routes to, or one with executions in progress, is kept too, and listed in
        RV(kept) with the reason.
      - At least V(1). Mutually exclusive with O(version).
    type: int
notes:
  - Whether a version has executions in progress is read with C(ListExecutions) and the version as C(Qualifier), once
    for C(Starting) and once for C(Running), for each version that would be deleted and that no alias routes to. The
    service does not document which executions that filter matches (the local emulator matches every execution that
    ran the version, started with its number or routed to it by an alias).
  - The version calls fall in the service's quota of 10 requests at once and 2 per second; the client paces itself.
  - A version keeps the content it was published with; deleting the flow deletes its versions and aliases.
seealso:
  - module: seed.cloudflow.cloudflow_flow_version_info
  - module: seed.cloudflow.cloudflow_flow_alias
  - module: seed.cloudflow.cloudflow_flow
"""

EXAMPLES = r"""
- name: Deploy the flow
  seed.cloudflow.cloudflow_flow:
    region: cn-hangzhou
    name: nightly-etl
    description: Nightly extract, transform and load
    definition: "{{ lookup('ansible.builtin.file', 'flows/nightly-etl.yaml') }}"

- name: Publish it as a version, unless the newest version already holds it
  seed.cloudflow.cloudflow_flow_version:
    region: cn-hangzhou
    flow_name: nightly-etl
    description: "Release {{ release_tag }}"
  register: published

- name: Route the production alias to that version
  seed.cloudflow.cloudflow_flow_alias:
    region: cn-hangzhou
    flow_name: nightly-etl
    name: production
    routing:
      - version: "{{ published.version }}"
        weight: 100

- name: Delete version 3 (refused while an alias routes to it or executions of it run)
  seed.cloudflow.cloudflow_flow_version:
    flow_name: nightly-etl
    state: absent
    version: 3

- name: Keep the newest ten versions, and any older one still in use
  seed.cloudflow.cloudflow_flow_version:
    flow_name: nightly-etl
    state: absent
    keep: 10
  register: pruned

- name: Say what was kept although it is old
  ansible.builtin.debug:
    msg: "{{ pruned.kept }}"
"""

RETURN = r"""
version:
  description:
    - The flow's newest version after the task; the one just published, or the newest one when the flow did not change.
    - V(null) in check mode when a version would be published (its number is assigned by the service when publishing).
  returned: with O(state=present)
  type: str
  sample: "4"
changes:
  description:
    - The content fields in which the flow differed from its newest version, so that a version was (in check mode, would
      be) published, in the order V(definition), V(description), V(environment), V(role_arn).
    - Every content field when the flow had no version yet; empty when nothing was published.
  returned: with O(state=present)
  type: list
  elements: str
  sample: [definition]
deleted:
  description: The versions deleted (in check mode, that would be deleted), oldest first.
  returned: with O(state=absent)
  type: list
  elements: str
  sample: ["1", "2"]
kept:
  description:
    - "The versions kept although O(keep) or O(version) asked to delete them, each with the reason, for example
      V(alias production routes to it) or V(1 execution in progress: run-42)."
    - When O(version) is refused, the task fails and RV(kept) holds that version and the reason.
  returned: with O(state=absent)
  type: dict
  sample: {"3": "alias production routes to it"}
msg:
  description: What the module did, or in check mode what it would do.
  returned: always
  type: str
  sample: Published version 4 of flow 'nightly-etl' (it differed from version 3 in definition)
error:
  description:
    - The service's answer when the task failed on an API call (never a secret) - C(action), C(http_status), C(code),
      C(message) and C(request_id) (for support cases).
  returned: when the task failed on an error answer from the service
  type: dict
  sample: {action: DescribeFlow, http_status: 404, code: FlowNotExists, request_id: 5A1B9C0D-1234-5678-9ABC-DEF012345678}
"""

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._aliases import list_aliases, routed_versions
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import (
    FLOW_NOT_EXISTS,
    ApiError,
    CloudFlowError,
    ConfigurationError,
    FailedWithResult,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._flows import YAML_IMPORT_ERROR
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule, Manager, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_name
from ansible_collections.seed.cloudflow.plugins.module_utils._versions import (
    check_version,
    delete_version,
    describe_version,
    differences,
    list_versions,
    protected_versions,
    prune_plan,
    publish_version,
)

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

# How a version to be published shows in a check-mode diff: the service numbers it when publishing.
NEW_VERSION = "(new)"


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "flow_name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "description": {"type": "str"},
        "version": {"type": "raw"},
        "keep": {"type": "int"},
    }


def check_options(params: t.Mapping[str, t.Any]) -> t.Optional[str]:
    """Every local rule, before the first request; returns the version to delete as the service writes it."""
    check_name("flow_name", params["flow_name"])
    if params["state"] == "present":
        for option in ("version", "keep"):
            if params[option] is not None:
                raise ConfigurationError(option, "is only valid with state=absent")
        return None
    if params["description"] is not None:
        raise ConfigurationError("description", "is only valid with state=present (it describes a version being published)")
    if params["keep"] is not None and params["keep"] < 1:
        raise ConfigurationError("keep", "must be at least 1 (the newest version is always kept); got {0}".format(params["keep"]))
    if params["version"] is not None:
        return check_version("version", params["version"])
    return None


def _subject(params: t.Mapping[str, t.Any]) -> str:
    if params["state"] == "absent" and params["version"] is not None:
        return "Version {0} of flow {1!r}".format(params["version"], params["flow_name"])
    return "Flow {0!r}".format(params["flow_name"])


class VersionManager(Manager):
    """The versions of one flow: publish when the flow changed, delete one, or prune to the newest few."""

    def __init__(self, module: CloudFlowModule, client: CloudFlowClient) -> None:
        super().__init__(module, client)
        self.version = check_options(self.params)
        self.flow_name: str = self.params["flow_name"]

    def _result(self, changed: bool, msg: str, before: t.Sequence[str], after: t.Sequence[str], **fields: t.Any) -> dict[str, t.Any]:
        result: dict[str, t.Any] = dict(fields, changed=changed, msg=msg)
        if self.diff_mode:
            result["diff"] = {"before": {"versions": list(before)}, "after": {"versions": list(after)}}
        return result

    # -- present -------------------------------------------------------------------------------------------------

    def ensure_present(self) -> dict[str, t.Any]:
        try:
            flow = self.client.call("DescribeFlow", {"Name": self.flow_name})
        except ApiError as error:
            if error.code != FLOW_NOT_EXISTS or not self.check_mode:
                raise
            # Check mode of a play that creates the flow first: that task only said it would. A real run publishes then.
            self.module.warn("Flow {0!r} does not exist yet: in check mode its first version is reported as one a real run would "
                             "publish, which succeeds only if the flow exists by then".format(self.flow_name))
            return self._result(True, "Would publish the first version of flow {0!r}".format(self.flow_name), [], [NEW_VERSION],
                                version=None, changes=differences({}, None))
        versions = [entry["version"] for entry in list_versions(self.client, self.flow_name)]
        newest = versions[-1] if versions else None
        changes = differences(flow, describe_version(self.client, self.flow_name, newest) if newest else None)
        if not changes:
            return self._result(False, "Flow {0!r} is as its newest version {1} holds it; nothing to publish".format(self.flow_name, newest),
                                versions, versions, version=newest, changes=[])
        why = "it differed from version {0} in {1}".format(newest, ", ".join(changes)) if newest else "its first version"
        if self.check_mode:
            return self._result(True, "Would publish a new version of flow {0!r} ({1})".format(self.flow_name, why),
                                versions, versions + [NEW_VERSION], version=None, changes=changes)
        published = publish_version(self.client, self.flow_name, self.params["description"])["version"]
        return self._result(True, "Published version {0} of flow {1!r} ({2})".format(published, self.flow_name, why),
                            versions, versions + [published], version=published, changes=changes)

    # -- absent --------------------------------------------------------------------------------------------------

    def ensure_absent(self) -> dict[str, t.Any]:
        try:
            versions = [entry["version"] for entry in list_versions(self.client, self.flow_name)]
        except ApiError as error:
            if error.code != FLOW_NOT_EXISTS:
                raise
            return self._result(False, "Flow {0!r} does not exist, nor do its versions".format(self.flow_name), [], [], deleted=[], kept={})
        if self.version is not None:
            return self._delete_one(versions, self.version)
        return self._prune(versions, self.params["keep"])

    def _routed(self) -> dict[str, list[str]]:
        """Version -> the aliases that route to it."""
        return routed_versions(list_aliases(self.client, self.flow_name))

    def _delete_one(self, versions: list[str], version: str) -> dict[str, t.Any]:
        label = "version {0} of flow {1!r}".format(version, self.flow_name)
        if version not in versions:
            return self._result(False, "{0} does not exist".format(label.capitalize()), versions, versions, deleted=[], kept={})
        routed = self._routed()
        reasons = protected_versions(self.client, self.flow_name, [version], routed)
        if reasons:
            advice = "route the alias to other versions first" if version in routed else "let the executions finish, or stop them, first"
            raise FailedWithResult("{0} is not deleted: {1}. Nothing was changed; {2}".format(label.capitalize(), reasons[version], advice),
                                   {"changed": False, "deleted": [], "kept": reasons})
        remaining = [number for number in versions if number != version]
        if self.check_mode:
            return self._result(True, "Would delete {0}".format(label), versions, remaining, deleted=[version], kept={})
        if not delete_version(self.client, self.flow_name, version):
            return self._result(False, "{0} was deleted elsewhere in the meantime".format(label.capitalize()), versions, remaining,
                                deleted=[], kept={})
        return self._result(True, "Deleted {0}".format(label), versions, remaining, deleted=[version], kept={})

    def _prune(self, versions: list[str], keep: int) -> dict[str, t.Any]:
        older = versions[:max(0, len(versions) - keep)]
        if not older:
            return self._result(False, "Flow {0!r} has {1} version(s), no more than keep={2}; nothing to prune".format(
                self.flow_name, len(versions), keep), versions, versions, deleted=[], kept={})
        plan = prune_plan(versions, keep, protected_versions(self.client, self.flow_name, older, self._routed()))
        kept = "".join("; kept version {0} ({1})".format(version, reason) for version, reason in plan.kept.items())
        if not plan.delete:
            return self._result(False, "Nothing to prune in flow {0!r}{1}".format(self.flow_name, kept), versions, versions,
                                deleted=[], kept=plan.kept)
        if self.check_mode:
            remaining = [number for number in versions if number not in plan.delete]
            return self._result(True, "Would delete version(s) {0} of flow {1!r}{2}".format(", ".join(plan.delete), self.flow_name, kept),
                                versions, remaining, deleted=list(plan.delete), kept=plan.kept)
        deleted: list[str] = []
        for version in plan.delete:
            try:
                if delete_version(self.client, self.flow_name, version):
                    deleted.append(version)
            except CloudFlowError as error:
                done = " after deleting version(s) {0}".format(", ".join(deleted)) if deleted else ""
                raise FailedWithResult("Flow {0!r}: deleting version {1} failed{2}: {3}".format(self.flow_name, version, done, error),
                                       {"changed": bool(deleted), "deleted": deleted, "kept": plan.kept}, error)
        remaining = [number for number in versions if number not in deleted]
        return self._result(bool(deleted), "Deleted version(s) {0} of flow {1!r}{2}".format(", ".join(deleted) or "none", self.flow_name, kept),
                            versions, remaining, deleted=deleted, kept=plan.kept)


def main() -> None:
    run_module(
        argument_spec(),
        lambda module, client: VersionManager(module, client).run(),
        check=check_options,
        subject=_subject,
        libraries=[("PyYAML", YAML_IMPORT_ERROR)],
        mutually_exclusive=[("version", "keep")],
        required_if=[("state", "absent", ("version", "keep"), True)],
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
