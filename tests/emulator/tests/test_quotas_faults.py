# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rate limiting (token buckets) and fault injection."""
from __future__ import annotations

import time

import httpx
import pytest

from helpers import Api

E = {"FlowName": "f1", "ExecutionName": "e1"}


def codes(api: Api, action: str, params, n: int):  # type: ignore[no-untyped-def]
    out = []
    for _request in range(n):
        resp = api.request(action, params)
        out.append((resp.status_code, resp.json().get("Code")))
    return out


def burst(api: Api, action: str, params, cap: int):  # type: ignore[no-untyped-def]
    """Send until the first 429; return (successes before it, elapsed seconds, throttled)."""
    ok = 0
    t0 = time.monotonic()
    for _request in range(cap):
        resp = api.request(action, params)
        if resp.status_code == 429:
            assert resp.json()["Code"] == "ResourceThrottled"
            return ok, time.monotonic() - t0, True
        assert resp.status_code == 200, resp.text
        ok += 1
    return ok, time.monotonic() - t0, False


def test_default_buckets(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    for action, params, size, refill in (
            ("ListExecutions", {"FlowName": "f1"}, 10, 2),
            ("DescribeExecution", E, 50, 5),
            ("GetExecutionHistory", E, 50, 5)):
        ok, elapsed, throttled = burst(api, action, params, 400)
        assert throttled, action
        assert size <= ok <= size + refill * elapsed + 1, (action, ok, elapsed)
    # buckets are per action: another action is still allowed
    assert api.request("DescribeFlow", {"Name": "f1"}).status_code == 200


def test_retry_after_header(api: Api, control) -> None:  # type: ignore
    control.configure(quota_scale=0.1)  # ListFlows: burst 1, refill 0.2/s -> 5 s wait
    assert api.request("ListFlows").status_code == 200
    resp = api.request("ListFlows")
    assert resp.status_code == 429
    # Milliseconds until the next token: at most the 5 s refill interval, and more than 4 s right after the burst.
    assert 4000 < int(resp.headers["x-acs-retry-after"]) <= 5000
    control.configure(quota_scale=1.0)
    for _request in range(10):
        api.request("ListFlows")
    resp = api.request("ListFlows")  # refill 2/s: the next token is at most 500 ms away
    assert resp.status_code == 429 and 0 < int(resp.headers["x-acs-retry-after"]) <= 500
    control.reset()  # refill the buckets, so that the next 429 is the injected one
    control.configure(faults={"error_429_rate": 1.0})
    resp = api.request("ListFlows")  # an injected 429 says nothing about when to come back
    assert resp.status_code == 429 and "x-acs-retry-after" not in resp.headers


def test_quota_scale_and_switch(api: Api, control) -> None:  # type: ignore
    control.configure(quota_scale=2.0)
    ok, elapsed, throttled = burst(api, "ListFlows", {}, 400)
    # burst 20, refill 4/s: a loaded machine may see a few refilled tokens, never fewer than 20
    assert throttled and 20 <= ok <= 20 + 4 * elapsed + 1, (ok, elapsed)
    control.configure(quotas_enabled=False)
    assert codes(api, "ListFlows", {}, 30) == [(200, None)] * 30


def test_start_execution_burst(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    names = ("e%d" % i for i in range(100000))
    ok = 0
    t0 = time.monotonic()
    throttled = False
    while ok < 300:
        resp = api.request("StartExecution", {"FlowName": "f1", "ExecutionName": next(names)})
        if resp.status_code == 429:
            throttled = True
            break
        ok += 1
    elapsed = time.monotonic() - t0
    assert ok >= 100  # the burst
    assert ok <= 100 + 100 * elapsed + 1  # refill 100/s
    # a slow machine may never outrun 100/s; then the scaled bucket shows the 429
    assert throttled or 100 + 100 * elapsed >= 299
    control.configure(quota_scale=0.05)  # burst 5, refill 5/s
    ok, elapsed, throttled = burst(api, "StartExecution", {"FlowName": "f1"}, 100)
    assert throttled and 5 <= ok <= 5 + 5 * elapsed + 1


def test_bucket_parameters() -> None:
    from cloudflow_emulator.api import Emulator

    emu = Emulator()
    expected = {"StartExecution": (100, 100), "DescribeExecution": (50, 5),
                "GetExecutionHistory": (50, 5), "ListExecutions": (10, 2),
                "StopExecution": (10, 2), "CreateFlow": (10, 2)}
    for action, (burst, refill) in expected.items():
        bucket = emu._bucket(action)
        assert (bucket.burst, bucket.refill) == (burst, refill), action
    emu.update_settings({"quota_scale": 0.5})
    assert (emu._bucket("DescribeExecution").burst, emu._bucket("DescribeExecution").refill) \
        == (25, 2.5)


def test_fault_500_does_not_change_state(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    control.configure(faults={"error_500_rate": 1.0})
    body = api.error("StartExecution", E, status=500, code="InternalServerError")
    assert body["Message"]
    assert control.executions("f1") == []
    control.configure(faults=None)
    api.call("StartExecution", E)


def test_fault_429(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    control.configure(faults={"error_429_rate": 1.0})
    api.error("DescribeExecution", E, status=429, code="ResourceThrottled")


def test_fault_409_only_stop(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    control.configure(faults={"error_409_rate": 1.0})
    api.call("DescribeExecution", E)
    api.error("StopExecution", E, status=409, code="ConcurrentUpdateError")
    assert control.execution("f1", "e1")["Status"] == "Running"


def test_faults_after_signature_check(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    control.configure(faults={"error_500_rate": 1.0})
    api.error("DescribeExecution", E, status=403, code="SignatureNotMatch", secret="bad")


def test_fault_latency(api: Api, control) -> None:  # type: ignore
    import time

    control.seed_execution("f1", "e1")
    control.configure(faults={"latency_ms": [200, 200]})
    t0 = time.monotonic()
    api.call("DescribeExecution", E)
    assert time.monotonic() - t0 >= 0.19
    control.configure(faults={"latency_ms": [0, 50]})
    api.call("DescribeExecution", E)


def test_fault_drop_connection(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    control.configure(faults={"drop_rate": 1.0})
    with pytest.raises(httpx.TransportError):
        api.request("StopExecution", E)
    assert control.execution("f1", "e1")["Status"] == "Running"
    log = control.requests()["requests"]
    assert log[-1]["action"] == "StopExecution" and log[-1]["http_status"] is None
    control.configure(faults=None)
    api.call("StopExecution", E)


def test_fault_seed_reproducible(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    runs = []
    for _run in range(2):
        control.configure(quotas_enabled=False,
                          faults={"error_500_rate": 0.5, "seed": 1234})
        runs.append([api.request("DescribeExecution", E).status_code for _request in range(30)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}


def test_bad_fault_settings(client) -> None:  # type: ignore
    for bad in ({"faults": {"error_500_rate": 2}}, {"faults": {"nope": 1}},
                {"faults": {"latency_ms": [5, 1]}}, {"unknown": 1}, {"race": "yes"},
                {"quota_scale": 0}):
        assert client.post("/_emulator/config", json=bad).status_code == 400, bad


def test_faults_limited_to_listed_actions(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    control.configure(faults={"error_500_rate": 1.0, "actions": ["StopExecution"]})
    api.call("DescribeExecution", E)
    api.call("ListExecutions", {"FlowName": "f1"})
    api.error("StopExecution", E, status=500, code="InternalServerError")
    assert control.execution("f1", "e1")["Status"] == "Running"
    control.configure(faults={"actions": None})
    api.error("DescribeExecution", E, status=500, code="InternalServerError")


def test_fault_actions_must_be_a_list_of_names(client) -> None:  # type: ignore
    for bad in ("StopExecution", [1], {"a": 1}):
        response = client.post("/_emulator/config", json={"faults": {"actions": bad}})
        assert response.status_code == 400, bad


def test_clock_offset_provokes_request_time_too_skewed(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    control.configure(clock_offset_seconds=3600)
    body = api.error("DescribeExecution", E, status=403, code="RequestTimeTooSkewed")
    assert body["RequestId"]
    control.configure(clock_offset_seconds=-60)
    api.call("DescribeExecution", E)
