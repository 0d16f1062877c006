# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The request log's param_names: which action parameters a request carried, never their values."""
from __future__ import annotations

import json
from typing import Any, Dict, List

from helpers import STS_AK, STS_SECRET, STS_TOKEN, Api, common_params, sign_v1

DEFINITION = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: one\n"
# A value no parameter name contains, to show that values stay out of the log.
MARKER = "marker-value-7f3c"


def _entries(control) -> List[Dict[str, Any]]:  # type: ignore
    entries: List[Dict[str, Any]] = control.requests()["requests"]
    return entries


def test_action_parameters_only_sorted_and_without_values(api: Api, control) -> None:  # type: ignore
    api.call("CreateFlow", {"Name": "f1", "Definition": DEFINITION, "Description": MARKER,
                            "Type": "FDL"})
    control.clear_requests()
    api.call("UpdateFlow", {"Name": "f1", "Description": MARKER + "-2"})
    # An empty value is a parameter that is present (it clears the field).
    api.call("UpdateFlow", {"Name": "f1", "RoleArn": ""})
    api.call("DescribeFlow", {"Name": "f1"})
    # Legacy common parameters and an STS token are protocol, not the action's.
    sts = Api(api.client, ak=STS_AK, secret=STS_SECRET, token=STS_TOKEN)
    sts.call("ListFlows", {"Limit": "5"}, common={"RegionId": "cn-hangzhou", "SignatureType": ""})
    api.call("StartExecution", {"FlowName": "f1", "ExecutionName": "e1",
                                "Input": json.dumps({"token": MARKER})})
    api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "e1",
                                   "WaitTimeSeconds": "0"})
    entries = _entries(control)
    assert [(e["action"], e["param_names"]) for e in entries] == [
        ("UpdateFlow", ["Description", "Name"]),
        ("UpdateFlow", ["Name", "RoleArn"]),
        ("DescribeFlow", ["Name"]),
        ("ListFlows", ["Limit"]),
        ("StartExecution", ["ExecutionName", "FlowName", "Input"]),
        ("DescribeExecution", ["ExecutionName", "FlowName", "WaitTimeSeconds"]),
    ]
    text = json.dumps(control.requests())
    assert MARKER not in text and "cn-hangzhou" not in text and STS_TOKEN not in text


def test_query_of_a_post_and_refused_requests(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    control.seed_execution("f1", "e1")
    control.clear_requests()
    # The legacy SDK sent StopExecution's parameters in the query of a POST; query and body count.
    query = common_params("StopExecution", FlowName="f1")
    body = {"ExecutionName": "e1", "Cause": MARKER}
    signed = dict(query, **body)
    query["Signature"] = sign_v1("POST", signed, api.secret)
    resp = api.client.post("/", params=query, data=body)
    assert resp.status_code == 200, resp.text
    # Refused requests are logged with what they carried.
    api.error("UpdateFlow", {"Name": "f1", "Definition": DEFINITION}, status=403,
              code="SignatureNotMatch", secret="wrong")
    api.error("UpdateFlow", {"Description": "d"}, status=400, code="MissingRequiredParams")
    api.error("UpdateFlow", {"Name": "nope", "Description": "d"}, status=404,
              code="FlowNotExists")
    # A body the emulator does not read: the names in the query only.
    query = common_params("StartExecution", FlowName="f1")
    query["Signature"] = sign_v1("POST", query, api.secret)
    resp = api.client.post("/", params=query, content=b'{"ExecutionName": "e2"}',
                           headers={"content-type": "application/json"})
    assert resp.status_code == 415
    entries = _entries(control)
    assert [(e["action"], e["code"], e["param_names"]) for e in entries] == [
        ("StopExecution", None, ["Cause", "ExecutionName", "FlowName"]),
        ("UpdateFlow", "SignatureNotMatch", ["Definition", "Name"]),
        ("UpdateFlow", "MissingRequiredParams", ["Description"]),
        ("UpdateFlow", "FlowNotExists", ["Description", "Name"]),
        ("StartExecution", "UnsupportedMediaType", ["FlowName"]),
    ]
    assert MARKER not in json.dumps(control.requests())
