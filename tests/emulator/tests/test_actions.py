# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every action, its response shape, parameter validation and the error codes."""
from __future__ import annotations

import json
import time
import re
import uuid

import pytest

from helpers import AK, STS_AK, STS_SECRET, STS_TOKEN, Api, common_params, sign_v1

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
RID_RE = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[0-9A-F]{4}-[0-9A-F]{12}$")


def test_flow_actions(api: Api) -> None:
    created = api.call("CreateFlow", {"Name": "f1", "Definition": "version: v1\ntype: flow\n",
                                      "Description": "d", "Type": "FDL"})
    assert RID_RE.match(created["RequestId"])
    assert created["Name"] == "f1" and created["Type"] == "FDL"
    assert created["ExecutionMode"] == "Standard"
    assert TIME_RE.match(created["CreatedTime"])
    described = api.call("DescribeFlow", {"Name": "f1"})
    assert described["Id"] == created["Id"] and described["Description"] == "d"
    updated = api.call("UpdateFlow", {"Name": "f1", "Description": "d2"})
    assert updated["Description"] == "d2"
    api.error("CreateFlow", {"Name": "f1", "Definition": "x", "Description": "d", "Type": "FDL"},
              status=409, code="FlowAlreadyExists")
    listed = api.call("ListFlows")
    assert [f["Name"] for f in listed["Flows"]] == ["f1"]
    assert "NextToken" not in listed
    assert set(api.call("DeleteFlow", {"Name": "f1"})) == {"RequestId"}
    # asynchronous: still there for delete_delay_seconds (default 0.5 s), then gone
    assert api.call("DescribeFlow", {"Name": "f1"})["Name"] == "f1"
    time.sleep(0.6)
    api.error("DescribeFlow", {"Name": "f1"}, status=404, code="FlowNotExists")
    api.error("DeleteFlow", {"Name": "f1"}, status=404, code="FlowNotExists")
    api.error("UpdateFlow", {"Name": "f1"}, status=404, code="FlowNotExists")


def test_create_flow_requires_params(api: Api) -> None:
    body = api.error("CreateFlow", {"Name": "f1", "Definition": "x", "Type": "FDL"},
                     status=400, code="MissingRequiredParams")
    assert "Description" in body["Message"]
    api.error("CreateFlow", {"Name": "1bad", "Definition": "x", "Description": "d",
                             "Type": "FDL"}, status=400, code="InvalidArgument")
    api.error("CreateFlow", {"Name": "f", "Definition": "x", "Description": "d", "Type": "FDL",
                             "ExecutionMode": "Weird"}, status=400, code="InvalidArgument")


def test_start_describe_stop_history(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    started = api.call("StartExecution", {"FlowName": "f1", "ExecutionName": "e1",
                                          "Input": json.dumps({"k": "v"})})
    assert started["Name"] == "e1" and started["FlowName"] == "f1"
    assert started["Status"] == "Running"
    assert started["Input"] == '{"k": "v"}'
    assert TIME_RE.match(started["StartedTime"])
    assert not started.get("StoppedTime")
    assert "FlowDefinition" in started
    desc = api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "e1"})
    assert desc["Status"] == "Running" and desc["StartedTime"] == started["StartedTime"]
    stopped = api.call("StopExecution", {"FlowName": "f1", "ExecutionName": "e1",
                                         "Error": "E", "Cause": "because"})
    assert stopped["Status"] == "Running"  # status at call time; stop takes effect after
    desc = api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "e1"})
    assert desc["Status"] == "Stopped" and TIME_RE.match(desc["StoppedTime"])
    hist = api.call("GetExecutionHistory", {"FlowName": "f1", "ExecutionName": "e1"})
    types = [e["Type"] for e in hist["Events"]]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionStopped"
    assert [e["EventId"] for e in hist["Events"]] == list(range(1, len(types) + 1))
    for event in hist["Events"]:
        assert set(event) == {"EventId", "ScheduleEventId", "Type", "StepName", "Time",
                              "EventDetail"}
        assert TIME_RE.match(event["Time"])
        json.loads(event["EventDetail"])
    assert json.loads(hist["Events"][-1]["EventDetail"]) == {"error": "E", "cause": "because"}
    assert json.loads(hist["Events"][0]["EventDetail"]) == {"input": {"k": "v"}}


def test_start_execution_semantics(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    first = api.call("StartExecution", {"FlowName": "f1", "ExecutionName": "e1"})
    again = api.call("StartExecution", {"FlowName": "f1", "ExecutionName": "e1"})
    assert again["StartedTime"] == first["StartedTime"]
    assert len(control.executions("f1")) == 1
    control.finish("f1", "e1", "Succeeded")
    api.error("StartExecution", {"FlowName": "f1", "ExecutionName": "e1"},
              status=400, code="ExecutionAlreadyExists")
    generated = api.call("StartExecution", {"FlowName": "f1"})
    assert re.match(r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$", generated["Name"])
    assert generated["Name"] != "e1"
    api.error("StartExecution", {"FlowName": "nope", "ExecutionName": "e1"},
              status=404, code="FlowNotExists")


@pytest.mark.parametrize("value", ["[1, 2]", "\"text\"", "{bad json", "42", "null"])
def test_input_must_be_a_json_object(api: Api, control, value: str) -> None:  # type: ignore
    control.create_flow("f1")
    api.error("StartExecution", {"FlowName": "f1", "ExecutionName": "e1", "Input": value},
              status=400, code="InvalidArgument")
    assert control.executions("f1") == []


def test_express_flow_cannot_start(api: Api) -> None:
    api.call("CreateFlow", {"Name": "fx", "Definition": "x", "Description": "d", "Type": "FDL",
                            "ExecutionMode": "Express"})
    api.error("StartExecution", {"FlowName": "fx"}, status=400, code="InvalidArgument")


@pytest.mark.parametrize("name", ["", "1abc", "a b", "a" * 129, "é", "a.b"])
def test_name_validation(api: Api, control, name: str) -> None:  # type: ignore
    control.create_flow("f1")
    if name == "":
        api.error("DescribeExecution", {"FlowName": "f1", "ExecutionName": name},
                  status=400, code="MissingRequiredParams")
    else:
        api.error("DescribeExecution", {"FlowName": "f1", "ExecutionName": name},
                  status=400, code="InvalidArgument")
        api.error("StartExecution", {"FlowName": "f1", "ExecutionName": name},
                  status=400, code="InvalidArgument")


def test_name_limits_accepted(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    for name in ("_", "a" * 128, "A-b_9"):
        api.call("StartExecution", {"FlowName": "f1", "ExecutionName": name})


def test_not_found_errors(api: Api, control) -> None:  # type: ignore
    for action in ("DescribeExecution", "StopExecution", "GetExecutionHistory"):
        api.error(action, {"FlowName": "nope", "ExecutionName": "e1"},
                  status=404, code="FlowNotExists")
    control.create_flow("f1")
    for action in ("DescribeExecution", "StopExecution", "GetExecutionHistory"):
        body = api.error(action, {"FlowName": "f1", "ExecutionName": "e1"},
                         status=404, code="ExecutionNotExists")
        assert body["Message"] == "Execution e1 for flow f1 does not exist."
    api.error("ListExecutions", {"FlowName": "nope"}, status=404, code="FlowNotExists")


def test_stop_validation(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    api.error("StopExecution", {"FlowName": "f1", "ExecutionName": "e1", "Cause": "x" * 4097},
              status=400, code="InvalidArgument")
    api.error("StopExecution", {"FlowName": "f1", "ExecutionName": "e1", "Error": "x" * 129},
              status=400, code="InvalidArgument")
    api.error("StopExecution", {"FlowName": "f1", "ExecutionName": "e1", "Error": ""},
              status=400, code="InvalidArgument")
    assert control.execution("f1", "e1")["Status"] == "Running"
    api.call("StopExecution", {"FlowName": "f1", "ExecutionName": "e1", "Error": "x" * 128,
                               "Cause": "c" * 4096})
    api.error("StopExecution", {"FlowName": "f1", "ExecutionName": "e1"},
              status=400, code="ExecutionAlreadyCompleted")
    api.error("StopExecution", {"FlowName": "f1"}, status=400, code="MissingRequiredParams")


def test_missing_required(api: Api) -> None:
    for action, params, missing in (
        ("StartExecution", {}, "FlowName"),
        ("DescribeExecution", {"FlowName": "f"}, "ExecutionName"),
        ("ListExecutions", {}, "FlowName"),
        ("GetExecutionHistory", {"ExecutionName": "e"}, "FlowName"),
        ("DescribeFlow", {}, "Name"),
        ("DeleteFlow", {}, "Name"),
    ):
        body = api.error(action, params, status=400, code="MissingRequiredParams")
        assert missing in body["Message"]


@pytest.mark.parametrize("action,param,value", [
    ("DescribeExecution", "WaitTimeSeconds", "61"),
    ("DescribeExecution", "WaitTimeSeconds", "-1"),
    ("DescribeExecution", "WaitTimeSeconds", "abc"),
    ("ListExecutions", "Limit", "0"),
    ("ListExecutions", "Limit", "101"),
    ("ListExecutions", "Status", "Done"),
    ("ListExecutions", "StartedTimeBegin", "yesterday"),
    ("ListExecutions", "MetadataOnly", "maybe"),
    ("ListExecutions", "NextToken", "no_such_exec"),
    ("GetExecutionHistory", "Limit", "1001"),
    ("GetExecutionHistory", "Limit", "0"),
    ("GetExecutionHistory", "NextToken", "x"),
    ("ListFlows", "Limit", "1001"),
])
def test_range_validation(api: Api, control, action: str, param: str, value: str) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    params = {"FlowName": "f1", "ExecutionName": "e1", param: value}
    if action == "ListFlows":
        params = {param: value}
    api.error(action, params, status=400, code="InvalidArgument")


def test_booleans_case_insensitive(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1", input={"a": 1})
    for value in ("True", "true", "TRUE"):
        listed = api.call("ListExecutions", {"FlowName": "f1", "MetadataOnly": value})
        assert "Input" not in listed["Executions"][0]
    listed = api.call("ListExecutions", {"FlowName": "f1", "MetadataOnly": "False"})
    assert listed["Executions"][0]["Input"] == '{"a":1}'


def test_version_and_action_errors(api: Api) -> None:
    api.error("DescribeFlow", {"Name": "f"}, status=400, code="APIVersionNotSupported",
              common={"Version": "2020-01-01"})
    body = api.error("NoSuchThing", {}, status=400, code="ActionNotSupported")
    assert "NoSuchThing" in body["Message"]
    api.error("DescribeFlow", {"Name": "f"}, status=400, code="MissingRequiredParams",
              common={"Version": None})


def test_params_from_query_and_form_merged(api: Api, control) -> None:  # type: ignore
    """Old SDKs put StopExecution's params in the query of a POST."""
    control.seed_execution("f1", "e1")
    query = common_params("StopExecution", FlowName="f1", ExecutionName="e1")
    query["Signature"] = sign_v1("POST", query, api.secret)
    resp = api.client.post("/", params=query)
    assert resp.status_code == 200, resp.text
    assert control.execution("f1", "e1")["Status"] == "Stopped"


def test_entity_too_large(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    big = json.dumps({"x": "a" * (1024 * 1024 + 10)})
    body = api.error("StartExecution", {"FlowName": "f1", "ExecutionName": "e1", "Input": big},
                     status=400, code="EntityTooLarge")
    assert "1048576" in body["Message"]
    assert control.executions("f1") == []


def test_unsupported_media_type(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    query = common_params("StartExecution", FlowName="f1")
    query["Signature"] = sign_v1("POST", query, api.secret)
    resp = api.client.post("/", params=query, content=b'{"FlowName": "f1"}',
                           headers={"content-type": "application/json"})
    assert resp.status_code == 415 and resp.json()["Code"] == "UnsupportedMediaType"


# ------------------------------------------------------------------ authentication -----------

def test_auth_errors(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    api.error("DescribeFlow", {"Name": "f1"}, status=403, code="SignatureNotMatch",
              secret="wrong")
    Api(api.client, ak="LTAIunknown", secret="x").error(
        "DescribeFlow", {"Name": "f1"}, status=403, code="InvalidAccessKeyID")
    api.error("DescribeFlow", {"Name": "f1"}, status=403, code="RequestTimeTooSkewed",
              common={"Timestamp": "2024-05-01T12:34:56Z"})
    nonce = uuid.uuid4().hex
    api.call("DescribeFlow", {"Name": "f1"}, common={"SignatureNonce": nonce})
    api.error("DescribeFlow", {"Name": "f1"}, status=403, code="SignatureNonceUsed",
              common={"SignatureNonce": nonce})
    api.error("DescribeFlow", {"Name": "f1"}, status=400, code="InvalidArgument",
              common={"SignatureMethod": "HMAC-SHA256"})
    api.error("DescribeFlow", {"Name": "f1"}, status=400, code="InvalidArgument",
              common={"SignatureVersion": "2.0"})
    api.error("DescribeFlow", {"Name": "f1"}, status=400, code="MissingRequiredParams",
              common={"SignatureNonce": None})
    api.error("DescribeFlow", {"Name": "f1"}, status=400, code="MissingRequiredParams",
              common={"Timestamp": None})
    resp = api.client.get("/", params={"Action": "DescribeFlow", "Version": "2019-03-15",
                                       "Name": "f1"})
    assert resp.status_code == 400 and resp.json()["Code"] == "MissingRequiredParams"


def test_time_checks_switchable(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    control.configure(check_timestamp=False, check_nonce=False)
    fixed = {"Timestamp": "2024-05-01T12:34:56Z", "SignatureNonce": "fixed"}
    api.call("DescribeFlow", {"Name": "f1"}, common=fixed)
    api.call("DescribeFlow", {"Name": "f1"}, common=fixed)


def test_signature_check_switchable(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    control.configure(verify_signature=False)
    api.call("DescribeFlow", {"Name": "f1"}, secret="wrong")


def test_sts_tokens(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    sts = Api(api.client, ak=STS_AK, secret=STS_SECRET, token=STS_TOKEN)
    sts.call("DescribeFlow", {"Name": "f1"})
    Api(api.client, ak=STS_AK, secret=STS_SECRET, token="bogus").error(
        "DescribeFlow", {"Name": "f1"}, status=403, code="InvalidSecurityToken.Malformed")
    Api(api.client, ak=STS_AK, secret=STS_SECRET).error(
        "DescribeFlow", {"Name": "f1"}, status=403, code="InvalidSecurityToken.Malformed")
    Api(api.client, ak=AK, secret=api.secret, token=STS_TOKEN).error(
        "DescribeFlow", {"Name": "f1"}, status=403,
        code="InvalidSecurityToken.MismatchWithAccessKey")
    control.configure(sts_tokens={STS_TOKEN: {"access_key_id": STS_AK,
                                              "expires_at": "2020-01-01T00:00:00Z"}})
    sts.error("DescribeFlow", {"Name": "f1"}, status=403, code="InvalidSecurityToken.Expired")
    control.configure(sts_tokens={STS_TOKEN: {"access_key_id": STS_AK,
                                              "expires_at": "2999-01-01T00:00:00Z"}})
    sts.call("DescribeFlow", {"Name": "f1"})
    log = control.requests()
    assert log["requests"][-1]["access_key_id"] == STS_AK


def test_key_table_configurable(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    control.configure(keys={"LTAInewkey": "newsecret"})
    Api(api.client, ak="LTAInewkey", secret="newsecret").call("DescribeFlow", {"Name": "f1"})
    api.error("DescribeFlow", {"Name": "f1"}, status=403, code="InvalidAccessKeyID")


def test_v3_request_signed_by_test_helper(api: Api, control) -> None:  # type: ignore
    """A fresh ACS3-HMAC-SHA256 request (current time) is accepted; the body hash is checked."""
    import hashlib
    import hmac as hmac_mod
    from helpers import SECRET, utc_now
    from urllib.parse import quote

    control.seed_execution("f1", "e1")
    body = b"ExecutionName=e1&FlowName=f1"
    headers = {
        "host": api.client.base_url.netloc.decode(),
        "x-acs-action": "StopExecution", "x-acs-version": "2019-03-15",
        "x-acs-date": utc_now(), "x-acs-signature-nonce": uuid.uuid4().hex,
        "content-type": "application/x-www-form-urlencoded",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    names = sorted(headers)
    canon = "POST\n/\n\n" + "".join("%s:%s\n" % (n, headers[n]) for n in names) + "\n" + \
        ";".join(names) + "\n" + headers["x-acs-content-sha256"]
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canon.encode()).hexdigest()
    sig = hmac_mod.new(SECRET.encode(), sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" % (
        AK, ";".join(names), sig)
    bad = dict(headers, **{"x-acs-content-sha256": hashlib.sha256(b"other").hexdigest()})
    resp = api.client.post("/", content=body, headers=bad)
    assert resp.status_code == 403 and resp.json()["Code"] == "SignatureNotMatch"
    missing = {k: v for k, v in headers.items() if k != "x-acs-content-sha256"}
    resp = api.client.post("/", content=body, headers=missing)
    assert resp.status_code == 400 and resp.json()["Code"] == "MissingRequiredHeader"
    resp = api.client.post("/", content=body, headers=headers)
    assert resp.status_code == 200, resp.text
    assert control.execution("f1", "e1")["Status"] == "Stopped"
    assert quote  # imported for parity with the V1 helper


def test_error_body_shape_and_request_ids(api: Api, control) -> None:  # type: ignore
    resp = api.request("DescribeFlow", {"Name": "nope"})
    body = resp.json()
    assert resp.status_code == 404
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert RID_RE.match(body["RequestId"])
    assert resp.headers["x-acs-request-id"] == body["RequestId"]
    assert body["Message"] == "Flow nope does not exist."  # one space (README choices)
    ids = {api.call("ListFlows")["RequestId"] for _call in range(5)}
    assert len(ids) == 5 and all(RID_RE.match(i) for i in ids)


def test_large_query_strings(api: Api, control, emulator_url: str) -> None:  # type: ignore
    """Query strings beyond h11's 16 KiB default reach the app; > 1 MiB is EntityTooLarge."""
    import http.client
    from urllib.parse import urlencode, urlsplit

    control.create_flow("f1")
    listed = api.call("ListExecutions", {"FlowName": "f1", "ExecutionNamePrefix": "p" * 60000})
    assert listed["Executions"] == []
    params = common_params("ListExecutions", FlowName="f1",
                           ExecutionNamePrefix="p" * (1024 * 1024 + 1))
    params["Signature"] = sign_v1("GET", params, api.secret)
    parts = urlsplit(emulator_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", "/?" + urlencode(params))
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 400 and body["Code"] == "EntityTooLarge"
