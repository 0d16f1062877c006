# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Flow versions: publish, list, read and delete them, compare a flow with a version, and choose what to prune.

PublishFlowVersion publishes whatever the flow is at call time, with no precondition (reference 3.1), so "publish
only when changed" compares the flow with its newest version first: definition by meaning, description,
environment variables and role, the fields a version holds. ListFlowVersions answers no definitions: reading a
version's content is one DescribeFlow with FlowVersion.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import for_each
from ansible_collections.seed.cloudflow.plugins.module_utils._client import iterate_pages
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import FLOW_VERSION_NOT_EXISTS, ApiError, ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import list_in_progress_executions
from ansible_collections.seed.cloudflow.plugins.module_utils._flows import environment_from_service, load_service_definition

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

VERSION_PATTERN = re.compile(r"^[1-9][0-9]{0,9}$")
LIST_PAGE_SIZE = 100
# The fields a version holds ("the flow's definition, description, environment variable settings, and execution role").
CONTENT_FIELDS = ("definition", "description", "environment", "role_arn")


def check_version(option: str, value: t.Any) -> str:
    """A version number as the service writes it (a string of digits, from 1)."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not VERSION_PATTERN.match(text):
        raise ConfigurationError(option, "must be a version number (1, 2, ...); got {0!r}".format(value))
    return text


def version_result(raw: t.Mapping[str, t.Any], flow_name: str) -> dict[str, t.Any]:
    """A ListFlowVersions / PublishFlowVersion entry in the snake_case shape the modules return."""
    return {
        "flow_name": raw.get("FlowName") or flow_name,
        "version": str(raw.get("Version")),
        "description": raw.get("Description") or "",
        "created_time": raw.get("CreatedTime") or None,
    }


def list_versions(client: CloudFlowClient, flow_name: str) -> list[dict[str, t.Any]]:
    """Every version of the flow, oldest first (by number), across pages. FlowNotExists is raised."""
    versions = [version_result(raw, flow_name)
                for raw in iterate_pages(client, "ListFlowVersions", {"FlowName": flow_name}, "FlowVersions", LIST_PAGE_SIZE)]
    return sorted(versions, key=lambda version: int(version["version"]))


def describe_version(client: CloudFlowClient, flow_name: str, version: str) -> dict[str, t.Any]:
    """The flow as that version holds it (DescribeFlow with FlowVersion)."""
    return client.call("DescribeFlow", {"Name": flow_name, "FlowVersion": version})


def publish_version(client: CloudFlowClient, flow_name: str, description: t.Optional[str] = None) -> dict[str, t.Any]:
    """Publish the flow as it is now; returns the new version's entry."""
    return version_result(client.call("PublishFlowVersion", {"FlowName": flow_name, "Description": description}), flow_name)


def delete_version(client: CloudFlowClient, flow_name: str, version: str) -> bool:
    """Delete a version; returns whether this request deleted it.

    FlowVersionNotExists on a retry means the earlier attempt was applied with its reply lost (True); on the first
    attempt it means someone else deleted the version meanwhile (False). FlowVersionInUse (an alias routes to it) is
    raised.
    """
    try:
        client.call("DeleteFlowVersion", {"FlowName": flow_name, "FlowVersion": version})
    except ApiError as error:
        if error.code != FLOW_VERSION_NOT_EXISTS:
            raise
        return error.attempts > 1
    return True


def content(flow: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """What a version holds of a flow record, normalised for comparison (the definition loaded as a document)."""
    definition = load_service_definition(flow.get("Definition"))
    return {
        "definition": definition if definition is not None else flow.get("Definition"),
        "description": flow.get("Description") or "",
        "environment": environment_from_service(flow.get("Environment")),
        "role_arn": flow.get("RoleArn") or None,
    }


def differences(flow: t.Mapping[str, t.Any], version: t.Optional[t.Mapping[str, t.Any]]) -> list[str]:
    """The content fields in which the flow as it is now differs from a version of it, in CONTENT_FIELDS order;
    every content field when there is no version to compare with (a flow never published)."""
    if version is None:
        return list(CONTENT_FIELDS)
    now, then = content(flow), content(version)
    return [field for field in CONTENT_FIELDS if now[field] != then[field]]


# -- what protects a version from deletion ------------------------------------------------------------------------------

SHOWN_EXECUTIONS = 5


def routed_reason(aliases: t.Sequence[str]) -> str:
    """Why a version an alias routes to is kept (with any weight, 0 included: the alias names it)."""
    if len(aliases) == 1:
        return "alias {0} routes to it".format(aliases[0])
    return "aliases {0} route to it".format(", ".join(aliases))


def in_progress_reason(executions: t.Sequence[t.Mapping[str, t.Any]]) -> str:
    """Why a version with executions in progress is kept, naming the first few."""
    names = [str(execution.get("Name")) for execution in executions]
    shown = ", ".join(names[:SHOWN_EXECUTIONS])
    if len(names) > SHOWN_EXECUTIONS:
        shown += " and {0} more".format(len(names) - SHOWN_EXECUTIONS)
    return "{0} execution{1} in progress: {2}".format(len(names), "" if len(names) == 1 else "s", shown)


def in_progress_executions(client: CloudFlowClient, flow_name: str, version: str) -> list[dict[str, t.Any]]:
    """The executions of the version still in progress (ListExecutions with the version as Qualifier, Starting and
    Running). What the service matches for a version is not documented (reference 3.1); the emulator matches the
    executions that ran it, started with its number or routed to it by an alias."""
    return list_in_progress_executions(client, flow_name, qualifier=version)


def protected_versions(
    client: CloudFlowClient, flow_name: str, candidates: t.Sequence[str], routed: t.Mapping[str, t.Sequence[str]],
    concurrency: int = 4,
) -> dict[str, str]:
    """Of the candidate versions, those that must not be deleted, each with the reason: an alias routes to it (routed
    maps a version to the aliases that route to it, see _aliases.routed_versions), or executions of it are in
    progress. Executions are listed only for the candidates no alias routes to."""
    reasons = {version: routed_reason(routed[version]) for version in candidates if routed.get(version)}
    in_use: dict[str, str] = {}

    def check(version: str) -> None:
        running = in_progress_executions(client, flow_name, version)
        if running:
            in_use[version] = in_progress_reason(running)

    for_each([version for version in candidates if version not in reasons], concurrency, check)
    reasons.update(in_use)
    return {version: reasons[version] for version in sorted(reasons, key=int)}


class PrunePlan(t.NamedTuple):
    """Which versions a prune deletes, and which it keeps although they are beyond the newest `keep`, and why."""

    delete: list[str]
    kept: dict[str, str]


def prune_plan(versions: t.Sequence[str], keep: int, protected: t.Mapping[str, str]) -> PrunePlan:
    """Keep the newest `keep` versions; of the older ones, delete those not protected (routed by an alias, or with
    executions in progress: protected maps each such version to the reason)."""
    ordered = sorted(versions, key=int)
    older = ordered[:max(0, len(ordered) - keep)]
    return PrunePlan([version for version in older if version not in protected],
                     {version: protected[version] for version in older if version in protected})
