# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Control surface and request log."""
from __future__ import annotations

import json

from helpers import AK, SECRET, STS_AK, STS_SECRET, STS_TOKEN, Api

E = {"FlowName": "f1", "ExecutionName": "e1"}


def test_config_defaults_and_merge(client) -> None:  # type: ignore
    cfg = client.get("/_emulator/config").json()
    assert cfg["verify_signature"] is True and cfg["check_timestamp"] is True
    assert cfg["check_nonce"] is True and cfg["max_skew_seconds"] == 900
    assert cfg["keys"] == {AK: SECRET, STS_AK: STS_SECRET}
    assert cfg["sts_tokens"] == {STS_TOKEN: {"access_key_id": STS_AK, "expires_at": None}}
    assert cfg["quotas_enabled"] is True and cfg["quota_scale"] == 1.0
    assert cfg["stop_delay_seconds"] == 0 and cfg["starting_seconds"] == 0
    assert cfg["race"] is False
    assert cfg["faults"]["error_500_rate"] == 0 and cfg["faults"]["drop_rate"] == 0
    update = {"race": True, "faults": {"drop_rate": 0.25}}
    merged = client.post("/_emulator/config", json=update).json()
    assert merged["race"] is True and merged["check_nonce"] is True
    merged = client.post("/_emulator/config", json={"faults": {"seed": 7}}).json()
    assert merged["faults"]["drop_rate"] == 0.25 and merged["faults"]["seed"] == 7
    assert client.post("/_emulator/config", content=b"[1]").status_code == 400
    client.post("/_emulator/reset")
    assert client.get("/_emulator/config").json() == cfg


def test_reset_forgets_everything(api: Api, control, client) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    api.call("DescribeExecution", E)
    client.post("/_emulator/reset")
    assert client.get("/_emulator/executions").json() == {"executions": []}
    assert client.get("/_emulator/flows").json() == {"flows": []}
    assert client.get("/_emulator/requests").json()["total"] == 0


def test_seed_validation(client) -> None:  # type: ignore
    for bad in ({"flow_name": "f1"}, {"flow_name": "f1", "name": "1x"},
                {"flow_name": "f1", "name": "e", "status": "Weird"},
                {"flow_name": "f1", "name": "e", "input": "[1]"},
                {"flow_name": "f1", "name": "e", "run_seconds": -1},
                {"flow_name": "f1", "name": "e", "started_time": "not a time"}):
        assert client.post("/_emulator/executions", json=bad).status_code == 400, bad
    assert client.post("/_emulator/executions", json={"flow_name": "f1", "name": "e"}
                       ).status_code == 200
    assert client.post("/_emulator/executions", json={"flow_name": "f1", "name": "e"}
                       ).status_code == 409
    assert client.post("/_emulator/executions/bulk", json={"flow_name": "f1", "count": "x"}
                       ).status_code == 400
    assert client.post("/_emulator/flows", json={"name": "bad name"}).status_code == 400


def test_bulk_and_listing(control) -> None:  # type: ignore
    out = control.seed_executions("fb", 3, name_prefix="x", status="Succeeded", input={"a": 1})
    assert out["names"] == ["x0000", "x0001", "x0002"]
    listed = control.executions("fb")
    assert [e["Status"] for e in listed] == ["Succeeded"] * 3
    assert listed[0]["Input"] == '{"a":1}'
    control.seed_execution("other", "e1")
    assert len(control.executions()) == 4
    flow = control.create_flow("fb", run_seconds=2.5, definition="custom")
    assert flow["run_seconds"] == 2.5 and flow["Definition"] == "custom"


def test_seed_input_as_json_string(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1", input='{"b": 2}')
    assert api.call("DescribeExecution", E)["Input"] == '{"b": 2}'


def test_request_log(api: Api, control, client) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    client.delete("/_emulator/requests")
    api.call("DescribeExecution", E, headers={"user-agent": "test-agent/1.0",
                                              "x-acs-retry-attempts": "2"})
    api.error("StopExecution", E, status=403, code="SignatureNotMatch", secret="nope")
    api.call("StopExecution", E)
    api.error("StopExecution", E, status=400, code="ExecutionAlreadyCompleted")
    api.call("ListExecutions", {"FlowName": "f1"})
    sts = Api(client, ak=STS_AK, secret=STS_SECRET, token=STS_TOKEN)
    sts.call("DescribeFlow", {"Name": "f1"})
    api.error("Bogus", {}, status=400, code="ActionNotSupported")
    client.get("/_emulator/config")  # control calls are not logged
    log = client.get("/_emulator/requests").json()
    assert log["total"] == 7
    assert log["counts"] == {"DescribeExecution": 1, "StopExecution": 3, "ListExecutions": 1,
                             "DescribeFlow": 1, "Bogus": 1}
    assert log["write_count"] == 4  # 3 StopExecution (incl. rejected) + Bogus
    first = log["requests"][0]
    assert set(first) == {"seq", "time", "method", "action", "http_status", "code", "flow_name",
                          "execution_name", "access_key_id", "signature_algorithm",
                          "wait_time_seconds", "schedule_name", "param_names", "user_agent",
                          "retry"}
    assert first["seq"] == 1 and first["method"] == "GET" and first["http_status"] == 200
    assert first["flow_name"] == "f1" and first["execution_name"] == "e1"
    assert first["access_key_id"] == AK and first["signature_algorithm"] == "RPC-V1-HMAC-SHA1"
    assert first["user_agent"] == "test-agent/1.0" and first["retry"] == 2
    assert first["code"] is None
    assert first["param_names"] == ["ExecutionName", "FlowName"]
    assert [r["code"] for r in log["requests"][1:4]] == [
        "SignatureNotMatch", None, "ExecutionAlreadyCompleted"]
    assert [r["http_status"] for r in log["requests"][1:4]] == [403, 200, 400]
    assert [r["seq"] for r in log["requests"]] == list(range(1, 8))
    text = json.dumps(log)
    for secret in (SECRET, STS_SECRET, STS_TOKEN, "nope"):
        assert secret not in text
    assert "Signature=" not in text and '"Signature"' not in text
    client.delete("/_emulator/requests")
    assert client.get("/_emulator/requests").json() == {
        "requests": [], "counts": {}, "write_count": 0, "total": 0}


def test_control_not_rate_limited_or_faulted(control, client) -> None:  # type: ignore
    control.configure(faults={"error_500_rate": 1.0, "drop_rate": 1.0}, quota_scale=0.01)
    for _attempt in range(30):
        assert client.get("/_emulator/config").status_code == 200
    assert client.get("/_emulator/requests").json()["total"] == 0


def test_log_records_wait_time_seconds(api, control, client) -> None:  # type: ignore
    control.seed_execution("f1", "e1", status="Succeeded")
    client.delete("/_emulator/requests")
    api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "e1", "WaitTimeSeconds": "7"})
    api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "e1"})
    api.call("ListExecutions", {"FlowName": "f1"})
    waits = [entry["wait_time_seconds"] for entry in client.get("/_emulator/requests").json()["requests"]]
    assert waits == [7, None, None]
