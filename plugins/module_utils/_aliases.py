# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Flow aliases: routing to one or two versions by weight, compared by meaning.

The service spells one routing several ways: ListFlowAliases answers Weight as a string ("20"), Create, Update and
Describe as an integer, and the order of the entries carries no meaning (reference 3.1). A routing is therefore
compared as a mapping of version number to integer weight.
"""

from __future__ import annotations

import json
import re
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._client import iterate_pages
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import FLOW_ALIAS_NOT_EXISTS, ApiError, ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_name
from ansible_collections.seed.cloudflow.plugins.module_utils._versions import VERSION_PATTERN, check_version

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

LIST_PAGE_SIZE = 100
MAX_ROUTES = 2
WEIGHT_TEXT = re.compile(r"^[0-9]{1,3}$")

Routing = t.Dict[str, int]


def _weight(option: str, value: t.Any) -> int:
    """A weight given as an integer or as the service's string spelling of one ("50"); not a float, a bool, or text
    that int() would stretch to a number ("1_0", "+50")."""
    weight = int(value.strip()) if isinstance(value, str) and WEIGHT_TEXT.match(value.strip()) else value
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
        raise ConfigurationError(option, "must be a whole number from 0 to 100; got {0!r}".format(value))
    return weight


def routing_from_option(option: str, entries: t.Any) -> Routing:
    """The routing option ([{version, weight}], one or two entries, different versions, weights adding up to 100)."""
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_ROUTES:
        raise ConfigurationError(option, "must list one or two {{version, weight}} entries; got {0!r}".format(entries))
    routing: Routing = {}
    for index, entry in enumerate(entries):
        where = "{0}[{1}]".format(option, index)
        if not isinstance(entry, dict) or set(entry) - {"version", "weight"} or "version" not in entry or "weight" not in entry:
            raise ConfigurationError(where, "must be a dict with version and weight; got {0!r}".format(entry))
        version = check_version(where + ".version", entry["version"])
        if version in routing:
            raise ConfigurationError(option, "names version {0} twice; give each version once".format(version))
        routing[version] = _weight(where + ".weight", entry["weight"])
    total = sum(routing.values())
    if total != 100:
        raise ConfigurationError(option, "weights must add up to 100; they add up to {0}".format(total))
    return routing


def check_qualifier(option: str, value: str) -> str:
    """A Qualifier: a version number, or an alias name (which follows the flow naming rule, so it never starts with a
    digit and the two cannot be confused)."""
    text = value.strip()
    if VERSION_PATTERN.match(text):
        return text
    if text[:1].isdigit():
        raise ConfigurationError(option, "must be a version number (1, 2, ...) or an alias name; got {0!r}".format(value))
    check_name(option, text)
    return text


def routing_from_service(raw: t.Any) -> Routing:
    """The service's RoutingConfigurations (a list, or that as JSON text; weights as integers or strings)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    routing: Routing = {}
    for entry in raw or []:
        if isinstance(entry, dict) and entry.get("Version") is not None:
            try:
                routing[str(entry["Version"])] = int(str(entry.get("Weight", 0)).strip())
            except ValueError:
                routing[str(entry["Version"])] = 0
    return routing


def routing_entries(routing: t.Mapping[str, int]) -> list[dict[str, t.Any]]:
    """A routing as the modules return it: [{version, weight}], highest weight first, then by version (a version not
    published yet, planned in check mode, after the numbered ones)."""
    return [{"version": version, "weight": weight}
            for version, weight in sorted(routing.items(), key=lambda item: (-item[1], int(item[0]) if item[0].isdigit() else float("inf")))]


def routing_parameter(routing: t.Mapping[str, int]) -> list[dict[str, t.Any]]:
    """RoutingConfigurations as the API takes it (sent as JSON text in the form body)."""
    return [{"Version": version, "Weight": weight} for version, weight in sorted(routing.items(), key=lambda item: int(item[0]))]


def alias_result(raw: t.Mapping[str, t.Any], flow_name: str) -> dict[str, t.Any]:
    """An alias record (flat, or inside Alias{...} as Update and Describe answer) in the modules' snake_case shape."""
    nested = raw.get("Alias")
    record: t.Mapping[str, t.Any] = nested if isinstance(nested, dict) else raw
    return {
        "flow_name": record.get("FlowName") or flow_name,
        "name": record.get("Name"),
        "description": record.get("Description") or "",
        "routing": routing_entries(routing_from_service(record.get("RoutingConfigurations"))),
        "created_time": record.get("CreatedTime") or None,
    }


def describe_alias(client: CloudFlowClient, flow_name: str, name: str) -> t.Optional[dict[str, t.Any]]:
    """The alias, or None when the flow has no alias of that name. FlowNotExists is raised."""
    try:
        return alias_result(client.call("DescribeFlowAlias", {"FlowName": flow_name, "Name": name}), flow_name)
    except ApiError as error:
        if error.code == FLOW_ALIAS_NOT_EXISTS:
            return None
        raise


def list_aliases(client: CloudFlowClient, flow_name: str) -> list[dict[str, t.Any]]:
    """Every alias of the flow, across pages. FlowNotExists is raised."""
    return [alias_result(raw, flow_name)
            for raw in iterate_pages(client, "ListFlowAliases", {"FlowName": flow_name}, "Aliases", LIST_PAGE_SIZE)]


def routed_versions(aliases: t.Iterable[t.Mapping[str, t.Any]]) -> dict[str, list[str]]:
    """Version -> the aliases that route to it (with any weight: the alias names it)."""
    routed: dict[str, list[str]] = {}
    for alias in aliases:
        for route in alias["routing"]:
            routed.setdefault(route["version"], []).append(alias["name"])
    return routed


def create_alias(client: CloudFlowClient, flow_name: str, name: str, routing: t.Mapping[str, int],
                 description: t.Optional[str]) -> dict[str, t.Any]:
    params = {"FlowName": flow_name, "Name": name, "RoutingConfigurations": routing_parameter(routing), "Description": description}
    return alias_result(client.call("CreateFlowAlias", params), flow_name)


def update_alias(client: CloudFlowClient, flow_name: str, name: str, *, routing: t.Optional[t.Mapping[str, int]] = None,
                 description: t.Optional[str] = None) -> dict[str, t.Any]:
    """Send only what is given (None is not sent)."""
    params = {"FlowName": flow_name, "Name": name, "Description": description,
              "RoutingConfigurations": routing_parameter(routing) if routing is not None else None}
    return alias_result(client.call("UpdateFlowAlias", params), flow_name)


def delete_alias(client: CloudFlowClient, flow_name: str, name: str) -> bool:
    """Delete an alias; returns whether this request deleted it.

    FlowAliasNotExists on a retry means the earlier attempt was applied with its reply lost (True); on the first
    attempt it means the alias was already gone (False).
    """
    try:
        client.call("DeleteFlowAlias", {"FlowName": flow_name, "Name": name})
    except ApiError as error:
        if error.code == FLOW_ALIAS_NOT_EXISTS:
            return error.attempts > 1
        raise
    return True
