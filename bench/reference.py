# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The bench's own fnf client, for the references the collection no longer has (run by bench/run.py).

Figure 3 compares the module's wait with a fixed 5-second poller and with a long-poll in this process; figure 6 compares
the module's bulk wait with the wait it had before the paged watch: one DescribeExecution long-poll per execution. Neither
is the collection's code any more, so they are here, on httpx and the emulator package's V1 signing: each action paced
by a token bucket at the service's quota times a scale, less one token of burst (as the module paces itself), and a
throttled or failed call retried with capped exponential backoff.
"""

from __future__ import annotations

import datetime
import threading
import time
import typing as t
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from cloudflow_emulator.signing import v1_signature

API_VERSION = "2019-03-15"
READ_ACTIONS = ("DescribeExecution", "ListExecutions", "GetExecutionHistory", "DescribeFlow", "ListFlows", "DescribeSchedule",
                "ListSchedules")
TERMINAL = ("Stopped", "Succeeded", "Failed", "TimedOut")
# Service quotas, (burst, refill per second); every other action has the last one.
QUOTAS = {"StartExecution": (100.0, 100.0), "DescribeExecution": (50.0, 5.0), "GetExecutionHistory": (50.0, 5.0)}
OTHER_QUOTA = (10.0, 2.0)
MAX_WAIT_SECONDS = 60
RETRIES = 6


def quota(action: str) -> t.Tuple[float, float]:
    return QUOTAS.get(action, OTHER_QUOTA)


class Bucket:
    """A token bucket; a caller takes its token under the lock and sleeps outside it."""

    def __init__(self, burst: float, rate: float) -> None:
        self.burst, self.rate = max(1.0, burst), rate
        self.tokens, self.updated = self.burst, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate) - 1.0
            self.updated = now
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait:
            time.sleep(wait)


class ApiError(Exception):
    def __init__(self, action: str, status: int, body: t.Mapping[str, t.Any]) -> None:
        super().__init__("{0}: HTTP {1} {2}".format(action, status, body.get("Code")))
        self.code = body.get("Code")


class Client:
    """Signed, paced, retried calls to one endpoint; thread-safe."""

    def __init__(self, endpoint: str, key_id: str, secret: str, scale: float, user_agent: str) -> None:
        self.endpoint, self.key_id, self.secret, self.scale = endpoint.rstrip("/") + "/", key_id, secret, scale
        self.http = httpx.Client(timeout=30.0, trust_env=False, headers={"User-Agent": user_agent})
        self.buckets: t.Dict[str, Bucket] = {}
        self.lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def _bucket(self, action: str) -> Bucket:
        with self.lock:
            if action not in self.buckets:
                burst, rate = quota(action)
                self.buckets[action] = Bucket(burst * self.scale - 1.0, rate * self.scale)
            return self.buckets[action]

    def call(self, action: str, params: t.Mapping[str, t.Any], read_timeout: float = 30.0) -> t.Dict[str, t.Any]:
        for attempt in range(RETRIES + 1):
            self._bucket(action).take()
            response = self._send(action, params, read_timeout)
            body = response.json()
            if response.status_code == 200:
                return t.cast(t.Dict[str, t.Any], body)
            if attempt == RETRIES or not (response.status_code == 429 or response.status_code >= 500):
                raise ApiError(action, response.status_code, body)
            time.sleep(min(20.0, 0.25 * 2 ** attempt))
        raise AssertionError("unreachable")

    def _send(self, action: str, params: t.Mapping[str, t.Any], read_timeout: float) -> httpx.Response:
        method = "GET" if action in READ_ACTIONS else "POST"
        common = {"Action": action, "Version": API_VERSION, "Format": "json", "AccessKeyId": self.key_id,
                  "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": uuid.uuid4().hex,
                  "Timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        own = {name: str(value) for name, value in params.items() if value is not None}
        common["Signature"] = v1_signature(self.secret, method, dict(common, **own))
        timeout = httpx.Timeout(30.0, read=max(30.0, read_timeout))
        if method == "GET":
            return self.http.get(self.endpoint, params=dict(common, **own), timeout=timeout)
        return self.http.post(self.endpoint, params=common, data=own, timeout=timeout)

    # -- the operations of the references ----------------------------------------------------
    def stop(self, flow: str, name: str) -> None:
        self.call("StopExecution", {"FlowName": flow, "ExecutionName": name})

    def describe(self, flow: str, name: str, wait_seconds: int = 0) -> t.Dict[str, t.Any]:
        params = {"FlowName": flow, "ExecutionName": name, "WaitTimeSeconds": wait_seconds or None}
        return self.call("DescribeExecution", params, read_timeout=wait_seconds + 15.0)

    def long_poll(self, flow: str, name: str, timeout: float) -> t.Dict[str, t.Any]:
        """DescribeExecution with WaitTimeSeconds until the execution is terminal (the server wakes the poll)."""
        deadline = time.monotonic() + timeout
        while True:
            wait = max(0, min(MAX_WAIT_SECONDS, int(deadline - time.monotonic())))
            execution = self.describe(flow, name, wait)
            if execution.get("Status") in TERMINAL or wait == 0:
                return execution

    def in_progress(self, flow: str) -> t.List[str]:
        """The names of the flow's Starting, then Running executions, page by page."""
        names: t.List[str] = []
        for status in ("Starting", "Running"):
            params: t.Dict[str, t.Any] = {"FlowName": flow, "Status": status, "Limit": 99}
            while True:
                page = self.call("ListExecutions", params)
                names += [execution["Name"] for execution in page.get("Executions") or [] if execution["Name"] not in names]
                if not page.get("NextToken"):
                    break
                params["NextToken"] = page["NextToken"]
        return names


def stop_and_long_poll_each(client: Client, flow: str, timeout: float, concurrency: int = 4) -> t.Dict[str, t.Any]:
    """The bulk stop with wait before the paged watch: list what is in progress, stop each, then one DescribeExecution
    long-poll per execution, concurrency at a time. Answers the names and the failures (name: error)."""
    names = client.in_progress(flow)
    failures: t.Dict[str, str] = {}
    deadline = time.monotonic() + timeout

    def each(action: t.Callable[[str], None]) -> None:
        def guarded(name: str) -> None:
            if name in failures:
                return
            try:
                action(name)
            except (ApiError, httpx.HTTPError, RuntimeError) as error:
                failures[name] = str(error)
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(guarded, names))

    def stop(name: str) -> None:
        try:
            client.stop(flow, name)
        except ApiError as error:
            if error.code != "ExecutionAlreadyCompleted":  # finished by itself first: not a failure
                raise

    def wait(name: str) -> None:
        status = client.long_poll(flow, name, max(0.0, deadline - time.monotonic())).get("Status")
        if status not in TERMINAL:
            raise RuntimeError("{0} is still {1} after {2:g} s".format(name, status, timeout))

    each(stop)
    each(wait)
    return {"names": names, "failures": failures}
