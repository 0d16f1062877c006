# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How an action's parameters travel (GET or POST, query or form body, wire values, signing), as the server decodes them."""

from __future__ import annotations

import itertools
import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _request, _signing
from ansible_collections.seed.cloudflow.plugins.module_utils._request import GET_ACTIONS, http_method_for
from ansible_collections.seed.cloudflow.plugins.module_utils._transport import USER_AGENT
from ansible_collections.seed.cloudflow.tests.unit.plugins.mock_http import KEY_ID, SECRET, STS, TOKEN, ScriptedService, failure, ok

COMMON_PARAMS = {"Action", "Version", "Format", "Timestamp", "SignatureNonce", "SignatureMethod", "SignatureVersion", "AccessKeyId", "SecurityToken"}
MakeClient = t.Callable[..., t.Any]


def test_read_action_is_signed_get_with_everything_in_query(make_client: MakeClient) -> None:
    service = ScriptedService([ok({"Status": "Running", "RequestId": "R"})], SECRET)
    with make_client(service) as client:
        execution = client.call("DescribeExecution", {"FlowName": "my_flow-01", "ExecutionName": "exec 1", "WaitTimeSeconds": 0})
    assert execution == {"Status": "Running", "RequestId": "R"}
    (seen,) = service.seen
    assert seen.method == "GET"
    assert seen.form == {}
    assert seen.signature_ok
    assert seen.query["FlowName"] == "my_flow-01"
    assert seen.query["ExecutionName"] == "exec 1"
    assert seen.query["WaitTimeSeconds"] == "0"
    assert seen.query["Action"] == "DescribeExecution"
    assert seen.query["AccessKeyId"] == KEY_ID
    assert "SecurityToken" not in seen.query
    assert seen.headers["user-agent"] == USER_AGENT
    assert seen.headers["x-acs-action"] == "DescribeExecution"
    assert seen.headers["x-acs-version"] == "2019-03-15"


def test_write_action_is_signed_post_with_action_params_in_form_body(make_client: MakeClient) -> None:
    cause = "Stopped by Ansible: café ☕ a*b~c/d e+f&g=h 100%"
    service = ScriptedService([ok()], STS.access_key_secret)
    with make_client(service, STS) as client:
        client.call("StopExecution", {"FlowName": "my_flow-01", "ExecutionName": "exec-2024_05_01", "Error": "Ansible.Stop", "Cause": cause})
    (seen,) = service.seen
    assert seen.method == "POST"
    assert seen.content_type == "application/x-www-form-urlencoded"
    assert set(seen.query) == COMMON_PARAMS | {"Signature"}
    assert seen.form == {"FlowName": "my_flow-01", "ExecutionName": "exec-2024_05_01", "Error": "Ansible.Stop", "Cause": cause}
    assert seen.query["SecurityToken"] == TOKEN
    assert seen.signature_ok
    assert "Signature" not in seen.form


def test_wire_values_none_bool_int(make_client: MakeClient) -> None:
    service = ScriptedService([ok()], SECRET)
    with make_client(service) as client:
        client.call("ListExecutions", {"FlowName": "f", "NextToken": None, "Limit": 10, "Flag": True, "Other": False})
    (seen,) = service.seen
    assert "NextToken" not in seen.query
    assert seen.query["Limit"] == "10"
    # As the official SDK sends them: alibabacloud_tea_openapi's Utils.query() and Utils.to_form() pass every
    # scalar through Utils._object_handler, which writes str(value), so True is "True" and False is "False".
    assert seen.query["Flag"] == "True"
    assert seen.query["Other"] == "False"
    assert seen.signature_ok


def test_booleans_in_a_form_body_as_the_sdk_sends_them(make_client: MakeClient) -> None:
    # UpdateSchedule is a POST with Enable in the form body (alibabacloud_fnf20190315 update_schedule_with_options
    # puts request.enable into the body, which Utils.to_form() encodes through Utils._object_handler: str(value)).
    service = ScriptedService([ok()], SECRET)
    with make_client(service) as client:
        client.call("UpdateSchedule", {"FlowName": "f", "ScheduleName": "s", "Enable": False})
        client.call("UpdateSchedule", {"FlowName": "f", "ScheduleName": "s", "Enable": True})
    assert [seen.form["Enable"] for seen in service.seen] == ["False", "True"]
    assert all(seen.method == "POST" and seen.signature_ok for seen in service.seen)


def test_wire_value_matches_the_official_sdk_when_installed() -> None:
    sdk_utils = pytest.importorskip("alibabacloud_tea_openapi.utils")
    for value in (True, False, 0, 7, "text"):
        assert _request.wire_value(value) == sdk_utils.Utils.query({"Value": value})["Value"]


def test_read_actions_are_gets_and_writes_are_posts() -> None:
    assert {"DescribeExecution", "ListExecutions", "GetExecutionHistory", "DescribeFlow", "ListFlows"} <= GET_ACTIONS
    assert not {"StartExecution", "StopExecution", "CreateFlow", "DeleteFlow"} & GET_ACTIONS
    assert [http_method_for(action) for action in ("ListSchedules", "DescribeSchedule", "UpdateSchedule", "DeleteSchedule")] == [
        "GET", "GET", "POST", "POST"]


def test_reserved_parameter_names_are_refused(make_client: MakeClient) -> None:
    service = ScriptedService([ok()], SECRET)
    with make_client(service) as client, pytest.raises(ValueError):
        client.call("StopExecution", {"Signature": "x"})
    assert service.seen == []


def test_read_timeout_for_long_poll(make_client: MakeClient) -> None:
    service = ScriptedService([ok()], SECRET)
    with make_client(service, timeout=10) as client:
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e", "WaitTimeSeconds": 60}, read_timeout=65)
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert service.seen[0].timeout["read"] == 65
    assert service.seen[0].timeout["connect"] == 10
    assert service.seen[1].timeout["read"] == 10


def test_fresh_nonce_and_timestamp_on_every_attempt(make_client: MakeClient, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = itertools.count()
    monkeypatch.setattr(_signing, "utc_timestamp", lambda: "2024-05-01T12:00:{0:02d}Z".format(next(clock)))
    service = ScriptedService([failure(500, "InternalServerError"), failure(429, "ResourceThrottled"), ok()], SECRET)
    with make_client(service) as client:
        client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert len(service.seen) == 3
    assert all(seen.signature_ok for seen in service.seen)
    assert len({seen.query["SignatureNonce"] for seen in service.seen}) == 3
    assert len({seen.query["Timestamp"] for seen in service.seen}) == 3
    assert len({seen.query["Signature"] for seen in service.seen}) == 3
