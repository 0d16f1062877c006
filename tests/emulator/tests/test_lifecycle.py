# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Execution lifecycle: run time, starting time, stop delay, long-poll wake-ups, race, control."""
from __future__ import annotations

import threading
import time

from conftest import wait_until
from helpers import Api

E = {"FlowName": "f1", "ExecutionName": "e1"}


def describe(api: Api, wait: int = 0, **kw):  # type: ignore[no-untyped-def]
    params = dict(E)
    if wait:
        params["WaitTimeSeconds"] = wait
    return api.call("DescribeExecution", params, timeout=wait + 10, **kw)


def test_api_started_execution_runs_flow_run_seconds(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1", run_seconds=0.3)
    assert api.call("StartExecution", E)["Status"] == "Running"
    t0 = time.monotonic()
    result = describe(api, wait=10)
    elapsed = time.monotonic() - t0
    assert result["Status"] == "Succeeded"
    assert result["StoppedTime"] >= result["StartedTime"]
    assert elapsed < 9  # woke on the scheduled transition, not at the deadline
    hist = api.call("GetExecutionHistory", E)
    assert [e["Type"] for e in hist["Events"]] == [
        "ExecutionStarted", "StepEntered", "StepExited", "ExecutionSucceeded"]


def test_run_seconds_null_runs_until_told(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    api.call("StartExecution", E)
    t0 = time.monotonic()
    result = describe(api, wait=1)
    assert result["Status"] == "Running"
    assert time.monotonic() - t0 >= 0.9  # waited for the whole WaitTimeSeconds


def test_starting_seconds(api: Api, control) -> None:  # type: ignore
    control.configure(starting_seconds=0.3)
    control.create_flow("f1", run_seconds=0.2)
    assert api.call("StartExecution", E)["Status"] == "Starting"
    assert describe(api)["Status"] == "Starting"
    assert wait_until(lambda: control.execution("f1", "e1")["Status"] == "Running", timeout=3, interval=0.02)
    assert describe(api, wait=5)["Status"] == "Succeeded"


def test_long_poll_wakes_on_control_finish(api: Api, control, emulator_url) -> None:  # type: ignore
    import httpx

    control.seed_execution("f1", "e1")
    out = {}

    def poll() -> None:
        with httpx.Client(base_url=emulator_url) as c:
            t0 = time.monotonic()
            out["body"] = Api(c).call("DescribeExecution", dict(E, WaitTimeSeconds=20),
                                      timeout=30)
            out["elapsed"] = time.monotonic() - t0

    thread = threading.Thread(target=poll)
    thread.start()
    # wait until the long-poll has arrived (it is logged only when it completes, so sleep)
    time.sleep(0.3)
    assert thread.is_alive()
    control.finish("f1", "e1", "Failed", error="X", cause="y")
    thread.join(25)
    assert not thread.is_alive()
    assert out["body"]["Status"] == "Failed"
    assert out["elapsed"] < 15


def test_long_poll_concurrent_does_not_block_other_requests(  # type: ignore
        api: Api, control, emulator_url) -> None:
    import httpx

    control.seed_execution("f1", "e1")
    results = []

    def poll() -> None:
        with httpx.Client(base_url=emulator_url) as c:
            results.append(Api(c).call("DescribeExecution", dict(E, WaitTimeSeconds=20),
                                       timeout=30)["Status"])

    threads = [threading.Thread(target=poll) for _poller in range(20)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    api.call("ListFlows")  # served while 20 long-polls are waiting
    assert time.monotonic() - t0 < 5
    control.advance("f1", "e1")
    for t in threads:
        t.join(25)
    assert results == ["Succeeded"] * 20


def test_stop_delay(api: Api, control) -> None:  # type: ignore
    control.configure(stop_delay_seconds=0.4)
    control.seed_execution("f1", "e1")
    assert api.call("StopExecution", E)["Status"] == "Running"
    assert describe(api)["Status"] == "Running"
    # a second stop while the first is pending is accepted and does not reset the timer
    assert api.call("StopExecution", E)["Status"] == "Running"
    t0 = time.monotonic()
    result = describe(api, wait=10)
    assert result["Status"] == "Stopped"
    assert time.monotonic() - t0 < 9
    api.error("StopExecution", E, status=400, code="ExecutionAlreadyCompleted")


def test_stop_delay_zero_reply_then_stopped(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1")
    reply = api.call("StopExecution", E)
    assert reply["Status"] == "Running" and not reply.get("StoppedTime")
    assert describe(api)["Status"] == "Stopped"


def test_stop_starting_execution(api: Api, control) -> None:  # type: ignore
    control.seed_execution("f1", "e1", status="Starting")
    assert api.call("StopExecution", E)["Status"] == "Starting"
    assert describe(api)["Status"] == "Stopped"


def test_seed_statuses_and_run_seconds(api: Api, control) -> None:  # type: ignore
    for status in ("Succeeded", "Failed", "TimedOut", "Stopped"):
        ex = control.seed_execution("f1", "e_" + status, status=status)
        assert ex["Status"] == status and ex["StoppedTime"]
        api.error("StopExecution", {"FlowName": "f1", "ExecutionName": "e_" + status},
                  status=400, code="ExecutionAlreadyCompleted")
    control.seed_execution("f1", "e1", run_seconds=0.2, input='{"x": 1}')
    result = describe(api, wait=5)
    assert result["Status"] == "Succeeded" and result["Input"] == '{"x": 1}'
    ex = control.seed_execution("f1", "e2", started_time="2024-01-02T03:04:05.678Z")
    assert ex["StartedTime"] == "2024-01-02T03:04:05.678Z"


def test_advance_and_finish(api: Api, control, client) -> None:  # type: ignore
    control.seed_execution("f1", "e1", status="Starting")
    assert control.advance("f1", "e1")["Status"] == "Running"
    assert control.advance("f1", "e1")["Status"] == "Succeeded"
    r = client.post("/_emulator/executions/f1/e1/advance")
    assert r.status_code == 409
    control.seed_execution("f1", "e2")
    done = control.finish("f1", "e2", "Succeeded", output={"r": 1})
    assert done["Output"] == '{"r":1}'
    assert api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "e2"}
                    )["Output"] == '{"r":1}'
    r = client.post("/_emulator/executions/f1/e2/finish", json={"status": "Failed"})
    assert r.status_code == 409
    control.seed_execution("f1", "e3")
    r = client.post("/_emulator/executions/f1/e3/finish", json={"status": "Running"})
    assert r.status_code == 400
    r = client.post("/_emulator/executions/f1/zz/finish", json={"status": "Failed"})
    assert r.status_code == 404
    for status in ("Failed", "TimedOut", "Stopped"):
        control.seed_execution("f1", "x_" + status)
        control.finish("f1", "x_" + status, status)
        assert control.execution("f1", "x_" + status)["Status"] == status
        hist = api.call("GetExecutionHistory", {"FlowName": "f1", "ExecutionName": "x_" + status})
        assert hist["Events"][-1]["Type"] == "Execution" + status


def test_race_switch(api: Api, control) -> None:  # type: ignore
    control.configure(race=True)
    control.seed_execution("f1", "e1")
    assert describe(api)["Status"] == "Running"  # reported in progress ...
    api.error("StopExecution", E, status=400, code="ExecutionAlreadyCompleted")  # ... then done
    assert describe(api)["Status"] == "Succeeded"
    control.configure(race=False)
    control.seed_execution("f1", "e2")
    assert api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "e2"}
                    )["Status"] == "Running"
    api.call("StopExecution", {"FlowName": "f1", "ExecutionName": "e2"})


def test_delete_flow_drops_executions(api: Api, control) -> None:  # type: ignore
    control.configure(delete_delay_seconds=0)
    control.seed_execution("f1", "e1")
    api.call("DeleteFlow", {"Name": "f1"})
    api.error("DescribeExecution", E, status=404, code="FlowNotExists")
    control.create_flow("f1")
    api.error("DescribeExecution", E, status=404, code="ExecutionNotExists")
    assert api.call("ListExecutions", {"FlowName": "f1"})["Executions"] == []
