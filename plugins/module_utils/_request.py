# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How an action's parameters travel: wire encoding, GET or POST, query or form body, and the signed parts."""

from __future__ import annotations

import json
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._signing import API_VERSION, common_rpc_params, rpc_signature

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import Credentials

# Actions that only read; they are sent as GET with every parameter in the query string.
GET_ACTIONS = frozenset(
    (
        "DescribeExecution",
        "ListExecutions",
        "GetExecutionHistory",
        "DescribeFlow",
        "ListFlows",
        "DescribeSchedule",
        "ListSchedules",
        "ListFlowVersions",
        "DescribeFlowAlias",
        "ListFlowAliases",
    )
)


def wire_value(value: object) -> str:
    """A parameter value as the API expects it on the wire.

    Booleans are written the way the official Python SDK writes them: its query and form helpers
    (alibabacloud_tea_openapi Utils.query / Utils.to_form, through Utils._object_handler) apply str(),
    so True travels as "True" and False as "False".
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def wire_params(params: t.Mapping[str, object]) -> t.Dict[str, str]:
    """Action parameters as strings; None means 'not given' and is left out."""
    return {name: wire_value(value) for name, value in params.items() if value is not None}


def http_method_for(action: str) -> str:
    return "GET" if action in GET_ACTIONS else "POST"


def signed_request_parts(
    action: str,
    params: t.Mapping[str, object],
    credentials: Credentials,
    *,
    version: str = API_VERSION,
    method: t.Optional[str] = None,
) -> t.Tuple[str, t.Dict[str, str], t.Optional[t.Dict[str, str]]]:
    """(method, query, form body) for one attempt, signed with a fresh timestamp and nonce.

    GET carries everything in the query; POST carries the common parameters and the signature
    in the query and the action parameters in the form body. Both are signed together.
    method defaults to the fnf API's choice for the action.
    """
    action_params = wire_params(params)
    common = common_rpc_params(action, credentials.access_key_id, credentials.security_token, version=version)
    clashing = sorted((set(common) | {"Signature"}) & set(action_params))
    if clashing:
        raise ValueError("parameters {0} are reserved for signing".format(", ".join(clashing)))
    method = method or http_method_for(action)
    signed = dict(common)
    signed.update(action_params)
    signature = rpc_signature(method, signed, credentials.access_key_secret)
    if method == "GET":
        signed["Signature"] = signature
        return method, signed, None
    common["Signature"] = signature
    return method, common, action_params
