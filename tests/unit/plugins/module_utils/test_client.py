# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The signed RPC client: retries by the policy, pacing by the quota buckets, errors read from the answer, no secret
in any error."""

from __future__ import annotations

import json
import typing as t
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _signing
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, CloudFlowError, TransportError
from ansible_collections.seed.cloudflow.plugins.module_utils._quota import RateLimiter
from ansible_collections.seed.cloudflow.plugins.module_utils._retry import RetryPolicy
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeClock
from ansible_collections.seed.cloudflow.tests.unit.plugins.mock_http import (
    SECRET,
    STS,
    TOKEN,
    Handler,
    ScriptedService,
    SeenRequest,
    Sleeps,
    certificate_failure,
    failure,
    ok,
)

MakeClient = t.Callable[..., t.Any]


# --- retries ---------------------------------------------------------------------------------


def test_client_delays_stay_within_full_jitter_caps(make_client: MakeClient) -> None:
    sleep = Sleeps()
    policy = RetryPolicy(max_retries=6, base_delay=0.5, max_delay=4.0)
    service = ScriptedService([failure(500, "InternalServerError")], SECRET)
    with make_client(service, sleep=sleep, retry=policy) as client, pytest.raises(ApiError):
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert len(sleep.delays) == 6
    for retry_number, delay in enumerate(sleep.delays):
        assert 0.0 <= delay <= min(4.0, 0.5 * 2 ** retry_number)


def test_retry_after_header_is_honoured(make_client: MakeClient) -> None:
    sleep = Sleeps()
    # Milliseconds, as the official SDK reads the header.
    service = ScriptedService([failure(429, "ResourceThrottled", headers={"x-acs-retry-after": "3000"}), ok()], SECRET)
    with make_client(service, sleep=sleep) as client:
        client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert len(sleep.delays) == 1 and 3.0 <= sleep.delays[0] < 3.3
    assert len(service.seen) == 2


@pytest.mark.parametrize("header", ["0", "-5", "soon"])
def test_unusable_retry_after_header_is_ignored(make_client: MakeClient, header: str) -> None:
    sleep = Sleeps()
    service = ScriptedService([failure(429, "ResourceThrottled", headers={"x-acs-retry-after": header}), ok()], SECRET)
    with make_client(service, sleep=sleep) as client:
        client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert sleep.delays[0] <= 0.25


@pytest.mark.parametrize(
    "status, code",
    [(400, "InvalidArgument"), (403, "SignatureNotMatch"), (403, "InvalidAccessKeyID"), (404, "ExecutionNotExists"), (400, "ExecutionAlreadyCompleted")],
)
def test_no_retry_on_client_errors(make_client: MakeClient, status: int, code: str) -> None:
    sleep = Sleeps()
    service = ScriptedService([failure(status, code, "Execution e1 for flow f1 does not exist.", "RID-9"), ok()], SECRET)
    with make_client(service, sleep=sleep) as client, pytest.raises(ApiError) as raised:
        client.call("StopExecution", {"FlowName": "f1", "ExecutionName": "e1"})
    assert len(service.seen) == 1
    assert sleep.delays == []
    assert raised.value.code == code
    assert raised.value.http_status == status
    assert raised.value.request_id == "RID-9"
    assert raised.value.attempts == 1


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
def test_retryable_failures_then_success(make_client: MakeClient, first: t.Any) -> None:
    sleep = Sleeps()
    service = ScriptedService([first, first, ok({"RequestId": "DONE"})], SECRET)
    with make_client(service, sleep=sleep) as client:
        assert client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e"}) == {"RequestId": "DONE"}
    assert len(service.seen) == 3
    assert len(sleep.delays) == 2


def test_gives_up_after_max_retries_with_service_details(make_client: MakeClient) -> None:
    sleep = Sleeps()
    service = ScriptedService([failure(429, "ResourceThrottled", "The request is throttled. Please try again later.", "5A1B-THROTTLED")], SECRET)
    with make_client(service, sleep=sleep, retry=RetryPolicy(max_retries=3)) as client, pytest.raises(ApiError) as raised:
        client.call("StartExecution", {"FlowName": "f", "ExecutionName": "e"})
    error = raised.value
    assert len(service.seen) == 4
    assert len(sleep.delays) == 3
    assert (error.code, error.http_status, error.request_id, error.attempts) == ("ResourceThrottled", 429, "5A1B-THROTTLED", 4)
    assert error.message == "The request is throttled. Please try again later."
    text = str(error)
    assert "StartExecution failed: ResourceThrottled (HTTP 429)" in text and "5A1B-THROTTLED" in text and "Hint:" in text


def test_transport_errors_give_up_after_max_retries(make_client: MakeClient) -> None:
    service = ScriptedService([httpx.ConnectError("[Errno 111] Connection refused")], SECRET)
    with make_client(service, retry=RetryPolicy(max_retries=2)) as client, pytest.raises(TransportError) as raised:
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert raised.value.attempts == 3
    assert len(service.seen) == 3
    assert raised.value.action == "DescribeExecution"
    assert "ConnectError" in str(raised.value)


def test_certificate_failures_are_not_retried_and_point_at_validate_certs(make_client: MakeClient) -> None:
    service = ScriptedService([certificate_failure()], SECRET)
    with make_client(service, retry=RetryPolicy(max_retries=6)) as client, pytest.raises(TransportError) as raised:
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert raised.value.attempts == 1
    assert len(service.seen) == 1
    assert "validate_certs" in str(raised.value)


# --- answers ---------------------------------------------------------------------------------


def test_lowercase_error_fields_and_non_json_bodies(make_client: MakeClient) -> None:
    service = ScriptedService([httpx.Response(400, json={"code": "InvalidArgument", "message": "Parameter error.", "requestId": "r-low"})], SECRET)
    with make_client(service) as client, pytest.raises(ApiError) as raised:
        client.call("ListExecutions", {"FlowName": "f"})
    assert (raised.value.code, raised.value.message, raised.value.request_id) == ("InvalidArgument", "Parameter error.", "r-low")

    service = ScriptedService([httpx.Response(403, text="Forbidden by proxy")], SECRET)
    with make_client(service) as client, pytest.raises(ApiError) as raised:
        client.call("ListExecutions", {"FlowName": "f"})
    assert raised.value.code == "InvalidResponse" and raised.value.http_status == 403
    assert len(service.seen) == 1

    service = ScriptedService([httpx.Response(200, text="not json")], SECRET)
    with make_client(service) as client, pytest.raises(ApiError) as raised:
        client.call("ListExecutions", {"FlowName": "f"})
    assert raised.value.code == "InvalidResponse" and raised.value.http_status == 200


def test_thread_safe_calls(make_client: MakeClient) -> None:
    service = ScriptedService([ok()], SECRET)
    with make_client(service, quota_scale=1.0) as client, ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda index: client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e{0}".format(index)}), range(40)))
    assert len(results) == 40
    assert len(service.seen) == 40
    assert len({seen.query["SignatureNonce"] for seen in service.seen}) == 40


# --- pacing ----------------------------------------------------------------------------------


def test_client_acquires_a_token_per_attempt(make_client: MakeClient) -> None:
    clock = FakeClock(100.0)
    limiter = RateLimiter(0.1, clock=clock, sleep=clock.sleep)  # StopExecution: burst 1, 0.2 tokens/s
    service = ScriptedService([failure(500, "InternalServerError"), ok()], SECRET)
    with make_client(service, rate_limiter=limiter) as client:
        client.call("StopExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert clock.sleeps == pytest.approx([5.0])
    assert len(service.seen) == 2


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
def test_secrets_absent_from_error_strings(make_client: MakeClient, step: Handler) -> None:
    service = ScriptedService([step], STS.access_key_secret)
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
