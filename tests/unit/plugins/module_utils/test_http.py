# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import itertools
import json
import random
import ssl
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

import httpx
import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _http, _signing
from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import Credentials
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, CloudFlowError, ConfigurationError, TransportError
from ansible_collections.seed.cloudflow.plugins.module_utils._http import (
    ACTION_QUOTAS,
    DEFAULT_QUOTA,
    READ_ACTIONS,
    CloudFlowClient,
    RateLimiter,
    RetryPolicy,
    TokenBucket,
    endpoint_for_region,
    is_retryable,
    validate_endpoint,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._signing import rpc_signature

ENDPOINT = "https://cn-hangzhou.fnf.aliyuncs.com"
USER_AGENT = "seed.cloudflow-test/1.0"
KEY_ID = "LTAI5tFakeAccessKeyId01"
SECRET = "FakeAccessKeySecret0123456789abcd"
TOKEN = "CAIS+fake/STS=token~with*specials"
PLAIN = Credentials(KEY_ID, SECRET, None, "test")
STS = Credentials("STS.EmulatorKeyId", "EmulatorStsSecret", TOKEN, "test")
COMMON_PARAMS = {"Action", "Version", "Format", "Timestamp", "SignatureNonce", "SignatureMethod", "SignatureVersion", "AccessKeyId", "SecurityToken"}

Handler = t.Callable[[httpx.Request], httpx.Response]


class SeenRequest:
    """A request as the server decodes it: method, query, form body, and whether the signature holds."""

    def __init__(self, request: httpx.Request, secret: str) -> None:
        self.method = request.method
        self.headers = request.headers
        self.query = dict(request.url.params.multi_items())
        body = request.read().decode("utf-8")
        self.form = dict(parse_qsl(body, keep_blank_values=True)) if body else {}
        self.content_type = request.headers.get("content-type")
        self.timeout = request.extensions.get("timeout", {})
        signed = dict(self.query)
        signed.update(self.form)
        signature = signed.pop("Signature", None)
        self.signature_ok = signature is not None and signature == rpc_signature(self.method, signed, secret)
        self.params = signed


class FakeService:
    """A MockTransport handler that records each request and answers from a script of responses."""

    def __init__(self, script: t.Sequence[t.Any], secret: str = SECRET) -> None:
        self.script = list(script)
        self.secret = secret
        self.seen = []  # type: t.List[SeenRequest]
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.seen.append(SeenRequest(request, self.secret))
            step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(request)
        return step


def ok(body: t.Optional[t.Dict[str, t.Any]] = None) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"RequestId": "OK-1"})


def failure(status: int, code: str, message: str = "message", request_id: str = "REQ-1", headers: t.Optional[t.Dict[str, str]] = None) -> httpx.Response:
    return httpx.Response(status, json={"Code": code, "Message": message, "RequestId": request_id}, headers=headers)


class Recorder:
    """An injected sleep that records delays instead of waiting."""

    def __init__(self) -> None:
        self.delays = []  # type: t.List[float]

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def make_client(service: FakeService, credentials: Credentials = PLAIN, **kwargs: t.Any) -> CloudFlowClient:
    kwargs.setdefault("sleep", Recorder())
    kwargs.setdefault("rng", random.Random(7))
    kwargs.setdefault("quota_scale", 0)
    return CloudFlowClient(ENDPOINT, credentials, user_agent=USER_AGENT, transport=httpx.MockTransport(service), **kwargs)


# --- request placement and signing ---------------------------------------------------------


def test_read_action_is_signed_get_with_everything_in_query() -> None:
    service = FakeService([ok({"Status": "Running", "RequestId": "R"})])
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


def test_write_action_is_signed_post_with_action_params_in_form_body() -> None:
    cause = "Stopped by Ansible: café ☕ a*b~c/d e+f&g=h 100%"
    service = FakeService([ok()], secret=STS.access_key_secret)
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


def test_wire_values_none_bool_int() -> None:
    service = FakeService([ok()])
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


def test_booleans_in_a_form_body_as_the_sdk_sends_them() -> None:
    # UpdateSchedule is a POST with Enable in the form body (alibabacloud_fnf20190315 update_schedule_with_options
    # puts request.enable into the body, which Utils.to_form() encodes through Utils._object_handler: str(value)).
    service = FakeService([ok()])
    with make_client(service) as client:
        client.call("UpdateSchedule", {"FlowName": "f", "ScheduleName": "s", "Enable": False})
        client.call("UpdateSchedule", {"FlowName": "f", "ScheduleName": "s", "Enable": True})
    assert [seen.form["Enable"] for seen in service.seen] == ["False", "True"]
    assert all(seen.method == "POST" and seen.signature_ok for seen in service.seen)


def test_wire_value_matches_the_official_sdk_when_installed() -> None:
    sdk_utils = pytest.importorskip("alibabacloud_tea_openapi.utils")
    for value in (True, False, 0, 7, "text"):
        assert _http.wire_value(value) == sdk_utils.Utils.query({"Value": value})["Value"]


def test_read_actions_are_gets_and_writes_are_posts() -> None:
    assert {"DescribeExecution", "ListExecutions", "GetExecutionHistory", "DescribeFlow", "ListFlows"} <= READ_ACTIONS
    assert not {"StartExecution", "StopExecution", "CreateFlow", "DeleteFlow"} & READ_ACTIONS


def test_reserved_parameter_names_are_refused() -> None:
    service = FakeService([ok()])
    with make_client(service) as client, pytest.raises(ValueError):
        client.call("StopExecution", {"Signature": "x"})
    assert service.seen == []


def test_read_timeout_for_long_poll() -> None:
    service = FakeService([ok()])
    with make_client(service, timeout=10) as client:
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e", "WaitTimeSeconds": 60}, read_timeout=65)
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert service.seen[0].timeout["read"] == 65
    assert service.seen[0].timeout["connect"] == 10
    assert service.seen[1].timeout["read"] == 10


def test_fresh_nonce_and_timestamp_on_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = itertools.count()
    monkeypatch.setattr(_signing, "utc_timestamp", lambda: "2024-05-01T12:00:{0:02d}Z".format(next(clock)))
    service = FakeService([failure(500, "InternalServerError"), failure(429, "ResourceThrottled"), ok()])
    with make_client(service) as client:
        client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert len(service.seen) == 3
    assert all(seen.signature_ok for seen in service.seen)
    assert len({seen.query["SignatureNonce"] for seen in service.seen}) == 3
    assert len({seen.query["Timestamp"] for seen in service.seen}) == 3
    assert len({seen.query["Signature"] for seen in service.seen}) == 3


# --- retry classification and backoff ------------------------------------------------------


@pytest.mark.parametrize(
    "status, code, expected",
    [
        (429, "ResourceThrottled", True),
        (429, None, True),
        (400, "Throttling.User", True),
        (400, "Throttling", True),
        (503, "ServiceUnavailable", True),
        (500, "InternalServerError", True),
        (502, None, True),
        (504, "InvalidResponse", True),
        (409, "ConcurrentUpdateError", True),
        (None, "ServiceUnavailable", True),
        (400, "InvalidArgument", False),
        (400, "ExecutionAlreadyCompleted", False),
        (403, "SignatureNotMatch", False),
        (403, "InvalidAccessKeyID", False),
        (403, "RequestTimeTooSkewed", False),
        (404, "ExecutionNotExists", False),
        (409, "FlowAlreadyExists", False),
        (200, None, False),
        (None, None, False),
    ],
)
def test_retry_classification(status: t.Optional[int], code: t.Optional[str], expected: bool) -> None:
    assert is_retryable(status, code) is expected


def test_full_jitter_bounds_and_exponential_cap() -> None:
    policy = RetryPolicy(max_retries=10, base_delay=0.25, max_delay=20.0)
    rng = random.Random(1234)
    caps = [min(20.0, 0.25 * 2 ** retry_number) for retry_number in range(10)]
    assert caps[:4] == [0.25, 0.5, 1.0, 2.0] and caps[-1] == 20.0
    for retry_number, cap in enumerate(caps):
        samples = [policy.delay(retry_number, None, rng) for _attempt in range(300)]
        assert all(0.0 <= delay <= cap for delay in samples)
        # Full jitter spreads over the whole range, not around a fixed value.
        assert max(samples) > 0.8 * cap and min(samples) < 0.2 * cap
    assert policy.delay(10_000, None, rng) <= 20.0


def test_retry_after_is_a_floor_capped_at_max_delay() -> None:
    policy = RetryPolicy(base_delay=0.25, max_delay=20.0)
    rng = random.Random(5)
    assert all(policy.delay(0, 3.0, rng) == 3.0 for _attempt in range(20))
    assert policy.delay(0, 500.0, rng) == 20.0


def test_client_delays_stay_within_full_jitter_caps() -> None:
    sleep = Recorder()
    policy = RetryPolicy(max_retries=6, base_delay=0.5, max_delay=4.0)
    service = FakeService([failure(500, "InternalServerError")])
    with make_client(service, sleep=sleep, retry=policy) as client, pytest.raises(ApiError):
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert len(sleep.delays) == 6
    for retry_number, delay in enumerate(sleep.delays):
        assert 0.0 <= delay <= min(4.0, 0.5 * 2 ** retry_number)


def test_retry_after_header_is_honoured() -> None:
    sleep = Recorder()
    # Milliseconds, as the official SDK reads the header.
    service = FakeService([failure(429, "ResourceThrottled", headers={"x-acs-retry-after": "3000"}), ok()])
    with make_client(service, sleep=sleep) as client:
        client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert len(sleep.delays) == 1 and 3.0 <= sleep.delays[0] < 3.3
    assert client.stats.throttled == 1


@pytest.mark.parametrize("header", ["0", "-5", "soon"])
def test_unusable_retry_after_header_is_ignored(header: str) -> None:
    sleep = Recorder()
    service = FakeService([failure(429, "ResourceThrottled", headers={"x-acs-retry-after": header}), ok()])
    with make_client(service, sleep=sleep) as client:
        client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert sleep.delays[0] <= 0.25


@pytest.mark.parametrize(
    "status, code",
    [(400, "InvalidArgument"), (403, "SignatureNotMatch"), (403, "InvalidAccessKeyID"), (404, "ExecutionNotExists"), (400, "ExecutionAlreadyCompleted")],
)
def test_no_retry_on_client_errors(status: int, code: str) -> None:
    sleep = Recorder()
    service = FakeService([failure(status, code, "Execution e1 for flow f1 does not exist.", "RID-9"), ok()])
    with make_client(service, sleep=sleep) as client, pytest.raises(ApiError) as raised:
        client.call("StopExecution", {"FlowName": "f1", "ExecutionName": "e1"})
    assert len(service.seen) == 1
    assert sleep.delays == []
    assert raised.value.code == code
    assert raised.value.http_status == status
    assert raised.value.request_id == "RID-9"
    assert raised.value.attempts == 1
    assert client.stats.retries == 0


@pytest.mark.parametrize(
    "first",
    [
        failure(429, "ResourceThrottled"),
        failure(500, "InternalServerError"),
        failure(503, "ServiceUnavailable"),
        failure(409, "ConcurrentUpdateError", "Update conflict, please retry."),
        failure(400, "Throttling.User"),
        httpx.Response(502, text="<html>bad gateway</html>", headers={"content-type": "text/html"}),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=["429", "500", "503", "409-conflict", "throttling-code", "502-html", "connect", "read-timeout", "remote-protocol"],
)
def test_retryable_failures_then_success(first: t.Any) -> None:
    service = FakeService([first, first, ok({"RequestId": "DONE"})])
    with make_client(service) as client:
        assert client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e"}) == {"RequestId": "DONE"}
    assert len(service.seen) == 3
    assert client.stats.attempts == 3
    assert client.stats.retries == 2
    assert client.stats.transport_errors == (2 if isinstance(first, Exception) else 0)


def test_gives_up_after_max_retries_with_service_details() -> None:
    sleep = Recorder()
    service = FakeService([failure(429, "ResourceThrottled", "The request is throttled. Please try again later.", "5A1B-THROTTLED")])
    with make_client(service, sleep=sleep, retry=RetryPolicy(max_retries=3)) as client, pytest.raises(ApiError) as raised:
        client.call("StartExecution", {"FlowName": "f", "ExecutionName": "e"})
    error = raised.value
    assert len(service.seen) == 4
    assert len(sleep.delays) == 3
    assert (error.code, error.http_status, error.request_id, error.attempts) == ("ResourceThrottled", 429, "5A1B-THROTTLED", 4)
    assert error.message == "The request is throttled. Please try again later."
    text = str(error)
    assert "StartExecution failed: ResourceThrottled (HTTP 429)" in text and "5A1B-THROTTLED" in text and "Hint:" in text
    assert client.stats.as_dict()["throttled"] == 4


def test_transport_errors_give_up_after_max_retries() -> None:
    service = FakeService([httpx.ConnectError("[Errno 111] Connection refused")])
    with make_client(service, retry=RetryPolicy(max_retries=2)) as client, pytest.raises(TransportError) as raised:
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert raised.value.attempts == 3
    assert raised.value.action == "DescribeExecution"
    assert "ConnectError" in str(raised.value)
    assert client.stats.transport_errors == 3


def _certificate_failure() -> httpx.ConnectError:
    cause = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] self-signed certificate")
    error = httpx.ConnectError("TLS handshake failed")
    error.__cause__ = cause
    return error


def test_certificate_failures_are_not_retried_and_point_at_validate_certs() -> None:
    service = FakeService([_certificate_failure()])
    with make_client(service, retry=RetryPolicy(max_retries=6)) as client, pytest.raises(TransportError) as raised:
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert raised.value.attempts == 1
    assert len(service.seen) == 1
    assert "validate_certs" in str(raised.value)


def test_lowercase_error_fields_and_non_json_bodies() -> None:
    service = FakeService([httpx.Response(400, json={"code": "InvalidArgument", "message": "Parameter error.", "requestId": "r-low"})])
    with make_client(service) as client, pytest.raises(ApiError) as raised:
        client.call("ListExecutions", {"FlowName": "f"})
    assert (raised.value.code, raised.value.message, raised.value.request_id) == ("InvalidArgument", "Parameter error.", "r-low")

    service = FakeService([httpx.Response(403, text="Forbidden by proxy")])
    with make_client(service) as client, pytest.raises(ApiError) as raised:
        client.call("ListExecutions", {"FlowName": "f"})
    assert raised.value.code == "InvalidResponse" and raised.value.http_status == 403
    assert len(service.seen) == 1

    service = FakeService([httpx.Response(200, text="not json")])
    with make_client(service) as client, pytest.raises(ApiError) as raised:
        client.call("ListExecutions", {"FlowName": "f"})
    assert raised.value.code == "InvalidResponse" and raised.value.http_status == 200


def test_thread_safe_calls_and_stats() -> None:
    service = FakeService([ok()])
    with make_client(service, quota_scale=1.0) as client, ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda index: client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e{0}".format(index)}), range(40)))
    assert len(results) == 40
    assert client.stats.attempts == 40
    assert len({seen.query["SignatureNonce"] for seen in service.seen}) == 40


def test_client_refuses_plain_http_to_remote_hosts() -> None:
    with pytest.raises(ConfigurationError):
        CloudFlowClient("http://example.com", PLAIN, user_agent=USER_AGENT)


# --- token buckets --------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps = []  # type: t.List[float]
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def test_token_bucket_allows_burst_then_paces() -> None:
    clock = FakeClock()
    bucket = TokenBucket(3, 2.0, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _attempt in range(7)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.5, 0.5, 0.5, 0.5])
    assert clock.now == pytest.approx(102.0)


def test_token_bucket_refills_up_to_burst_only() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, 1.0, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.acquire()
    clock.now += 1000
    assert [bucket.acquire() for _attempt in range(3)] == pytest.approx([0.0, 0.0, 1.0])


def test_token_bucket_queues_concurrent_callers() -> None:
    """Reservations made at the same instant are spaced one token apart, not all released together."""
    clock = FakeClock()
    frozen_sleeps = []  # type: t.List[float]
    lock = threading.Lock()

    def record(seconds: float) -> None:
        with lock:
            frozen_sleeps.append(seconds)

    bucket = TokenBucket(2, 4.0, clock=clock, sleep=record)
    threads = [threading.Thread(target=bucket.acquire) for _attempt in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(frozen_sleeps) == pytest.approx([0.25 * index for index in range(1, 9)])


def test_rate_limiter_uses_service_quotas_scaled_and_starts_full() -> None:
    assert ACTION_QUOTAS["StartExecution"] == (100, 100)
    assert ACTION_QUOTAS["DescribeExecution"] == (50, 5)
    assert ACTION_QUOTAS["GetExecutionHistory"] == (50, 5)
    assert DEFAULT_QUOTA == (10, 2)
    clock = FakeClock()
    limiter = RateLimiter(0.5, clock=clock, sleep=clock.sleep)
    # StopExecution at half quota: burst 5 less one token of headroom, refill 1 per second.
    assert [limiter.acquire("StopExecution") for _attempt in range(4)] == [0.0] * 4
    assert limiter.acquire("StopExecution") == pytest.approx(1.0)
    assert limiter.acquire("StopExecution") == pytest.approx(1.0)  # the fake clock advanced by the first wait
    assert limiter.bucket("DescribeExecution").burst == 24 and limiter.bucket("DescribeExecution").rate == 2.5
    assert limiter.bucket("StartExecution").rate == 50


@pytest.mark.parametrize("scale", [0, -1])
def test_rate_limiter_can_be_disabled(scale: float) -> None:
    clock = FakeClock()
    limiter = RateLimiter(scale, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire("StopExecution") for _attempt in range(100)] == [0.0] * 100
    assert clock.sleeps == []


def test_client_acquires_a_token_per_attempt() -> None:
    clock = FakeClock()
    limiter = RateLimiter(0.1, clock=clock, sleep=clock.sleep)  # StopExecution: burst 1, 0.2 tokens/s
    service = FakeService([failure(500, "InternalServerError"), ok()])
    with make_client(service, rate_limiter=limiter) as client:
        client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert clock.sleeps == pytest.approx([5.0])
    assert client.stats.rate_limit_wait_seconds == pytest.approx(5.0)


# --- endpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint, normalised",
    [
        ("https://cn-hangzhou.fnf.aliyuncs.com", "https://cn-hangzhou.fnf.aliyuncs.com"),
        ("https://cn-hangzhou.fnf.aliyuncs.com/", "https://cn-hangzhou.fnf.aliyuncs.com"),
        (" HTTPS://CN-Hangzhou.fnf.aliyuncs.com:443/ ", "https://cn-hangzhou.fnf.aliyuncs.com:443"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("http://127.8.9.10:80/", "http://127.8.9.10:80"),
        ("http://localhost:8123", "http://localhost:8123"),
        ("http://[::1]:8123", "http://[::1]:8123"),
        ("https://10.0.0.5:8443", "https://10.0.0.5:8443"),
    ],
)
def test_valid_endpoints(endpoint: str, normalised: str) -> None:
    assert validate_endpoint(endpoint) == normalised


@pytest.mark.parametrize(
    "endpoint, words",
    [
        ("http://cn-hangzhou.fnf.aliyuncs.com", "only allowed for loopback"),
        ("http://10.0.0.5:8123", "only allowed for loopback"),
        ("http://localhost.example.com", "only allowed for loopback"),
        ("cn-hangzhou.fnf.aliyuncs.com", "must be a URL"),
        ("ftp://example.com", "must be a URL"),
        ("https://", "must be a URL"),
        ("", "must be a URL"),
        ("https://example.com/api", "must not have a path"),
        ("https://example.com/?x=1", "must not have a query"),
        ("https://example.com/#top", "must not have a query or fragment"),
        ("https://user:hunter2secret@example.com", "must not contain user information"),
        ("https://example.com:99999", "not a valid URL"),
    ],
)
def test_invalid_endpoints(endpoint: str, words: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        validate_endpoint(endpoint)
    assert str(raised.value).startswith("endpoint: ")
    assert words in str(raised.value)
    assert "hunter2secret" not in str(raised.value)


def test_endpoint_for_region() -> None:
    assert endpoint_for_region("cn-hangzhou") == "https://cn-hangzhou.fnf.aliyuncs.com"
    assert endpoint_for_region("ap-southeast-1") == "https://ap-southeast-1.fnf.aliyuncs.com"
    with pytest.raises(ConfigurationError) as raised:
        endpoint_for_region("evil.com/x")
    assert str(raised.value).startswith("region: ")


# --- secrets never leak ---------------------------------------------------------------------


def _echo_everything(request: httpx.Request) -> httpx.Response:
    """A gateway that echoes the string to sign and the URL, as some real gateways do."""
    seen = SeenRequest(request, STS.access_key_secret)
    string_to_sign = _signing.rpc_string_to_sign(request.method, seen.params)
    message = "Specified signature is not matched with our calculation. server string to sign is:{0} url {1} token {2}".format(
        string_to_sign, request.url, seen.params.get("SecurityToken")
    )
    return httpx.Response(400, json={"Code": "SignatureDoesNotMatch", "Message": message, "RequestId": "R"})


def _raise_with_url(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("cannot connect to {0}".format(request.url))


@pytest.mark.parametrize("step", [_echo_everything, _raise_with_url])
def test_secrets_absent_from_error_strings(step: Handler) -> None:
    service = FakeService([step])
    with make_client(service, STS, retry=RetryPolicy(max_retries=1)) as client, pytest.raises(CloudFlowError) as raised:
        client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e", "Cause": "c"})
    signatures = {seen.query["Signature"] for seen in service.seen}
    texts = [str(raised.value), repr(raised.value), json.dumps(getattr(raised.value, "as_dict", lambda: {})())]
    for text in texts:
        assert STS.access_key_secret not in text
        for secret_form in (TOKEN, _signing.percent_encode(TOKEN), _signing.percent_encode(_signing.percent_encode(TOKEN))):
            assert secret_form not in text
        for signature in signatures:
            assert signature not in text
            assert _signing.percent_encode(signature) not in text


def test_credentials_repr_hides_secrets() -> None:
    text = repr(STS) + str(STS)
    assert STS.access_key_secret not in text and TOKEN not in text
    assert STS.access_key_id in text


# --- the one transport: every httpx failure becomes a TransportError naming action and endpoint ----------------


def _raising(error: BaseException) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


@pytest.mark.parametrize(
    "error, retried",
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), True),
        (httpx.ConnectTimeout("timed out"), True),
        (httpx.ReadTimeout("The read operation timed out"), True),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), True),
        (_certificate_failure(), False),
        (httpx.DecodingError("invalid gzip"), False),
        (httpx.TooManyRedirects("Exceeded maximum allowed redirects."), False),
        (httpx.InvalidURL("Invalid non-printable ASCII character in URL"), False),
        (httpx.StreamConsumed(), False),
        (httpx.CookieConflict("Multiple cookies exist with name=x"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_every_httpx_failure_names_the_action_and_the_endpoint(error: BaseException, retried: bool) -> None:
    service = FakeService([_raising(error)])
    with make_client(service, STS, retry=RetryPolicy(max_retries=2)) as client, pytest.raises(TransportError) as raised:
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    text = str(raised.value)
    assert text.startswith("DescribeExecution failed: could not reach https://cn-hangzhou.fnf.aliyuncs.com after ")
    assert type(error).__name__ in text
    assert raised.value.endpoint == ENDPOINT
    assert raised.value.attempts == (3 if retried else 1)
    assert len(service.seen) == raised.value.attempts
    assert STS.security_token not in text and "Signature" not in text


def test_an_over_long_url_is_a_clean_transport_error_without_a_request() -> None:
    # httpx refuses URLs over 65536 characters with InvalidURL, which is not an httpx.HTTPError.
    service = FakeService([ok()])
    with make_client(service, retry=RetryPolicy(max_retries=3)) as client, pytest.raises(TransportError) as raised:
        client.call("ListExecutions", {"FlowName": "f", "ExecutionNamePrefix": "x" * 70000})
    assert service.seen == []
    assert raised.value.attempts == 1
    assert str(raised.value).startswith("ListExecutions failed: could not reach https://cn-hangzhou.fnf.aliyuncs.com after 1 attempt: InvalidURL")
    assert "x" * 100 not in str(raised.value)


def test_a_refused_loopback_port_is_named_host_and_port() -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = "http://127.0.0.1:{0}".format(port)
    with CloudFlowClient(endpoint, PLAIN, user_agent=USER_AGENT, retry=RetryPolicy(max_retries=0), quota_scale=0) as client:
        with pytest.raises(TransportError) as raised:
            client.call("StartExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert str(raised.value).startswith("StartExecution failed: could not reach {0} after 1 attempt: ConnectError".format(endpoint))
    assert "127.0.0.1:{0}".format(port) in str(raised.value)


@pytest.mark.parametrize(
    "url, shown",
    [
        ("https://cn-hangzhou.fnf.aliyuncs.com/?Signature=abc&AccessKeyId=k", "https://cn-hangzhou.fnf.aliyuncs.com"),
        ("http://127.0.0.1:8443/", "http://127.0.0.1:8443"),
        ("https://user:secret@sts.aliyuncs.com/path?x=1", "https://sts.aliyuncs.com"),
        ("http://[::1]:9000/latest/api/token", "http://[::1]:9000"),
        ("not a url", "an unparsable URL"),
    ],
)
def test_endpoint_label_drops_user_info_path_and_query(url: str, shown: str) -> None:
    assert _http.endpoint_label(url) == shown


@pytest.mark.parametrize("validate_certs", [True, False])
def test_transport_applies_validate_certs_to_https_only(monkeypatch: pytest.MonkeyPatch, validate_certs: bool) -> None:
    built = []  # type: t.List[t.Dict[str, t.Any]]
    real_client = httpx.Client

    def recording_client(**options: t.Any) -> httpx.Client:
        built.append(dict(options))
        options["transport"] = httpx.MockTransport(lambda request: ok())
        return real_client(**options)

    # _http's httpx is the httpx module itself: the patch is undone after the test.
    monkeypatch.setattr(_http.httpx, "Client", recording_client)
    with _http.Transport(user_agent=USER_AGENT, timeout=4, validate_certs=validate_certs) as transport:
        transport.send("AssumeRole", "GET", "https://sts.aliyuncs.com/")
        transport.send("ECS metadata token request", "PUT", "http://100.100.100.200/latest/api/token")
        transport.send("AssumeRole", "GET", "https://sts.aliyuncs.com/")
    # One pooled client per scheme; plain http never builds a TLS context.
    assert [options["verify"] for options in built] == [validate_certs, False]
    assert all(options["headers"] == {"User-Agent": USER_AGENT} for options in built)


def test_transport_timeouts_read_longer_connect_sooner_never_beyond() -> None:
    transport = _http.Transport(user_agent=USER_AGENT, timeout=10)
    assert transport.request_timeout().as_dict() == {"connect": 10, "read": 10, "write": 10, "pool": 10}
    assert transport.request_timeout(read=65).as_dict() == {"connect": 10, "read": 65, "write": 10, "pool": 10}
    assert transport.request_timeout(connect=1).as_dict() == {"connect": 1, "read": 10, "write": 10, "pool": 10}
    assert _http.Transport(user_agent=USER_AGENT, timeout=0.5).request_timeout(connect=1).as_dict()["connect"] == 0.5
    transport.close()


def test_clients_can_share_one_transport() -> None:
    service = FakeService([ok()])
    transport = _http.Transport(user_agent=USER_AGENT, timeout=3, httpx_transport=httpx.MockTransport(service))
    with CloudFlowClient(ENDPOINT, PLAIN, http=transport, quota_scale=0) as client:
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert client.http is transport and client.timeout == 3
    (seen,) = service.seen
    assert seen.timeout == {"connect": 3, "read": 3, "write": 3, "pool": 3}
    assert seen.headers["user-agent"] == USER_AGENT
