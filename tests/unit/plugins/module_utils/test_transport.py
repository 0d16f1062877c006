# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one transport: every httpx failure becomes a TransportError naming action and endpoint; the module's timeout,
certificate option and User-Agent reach every request."""

from __future__ import annotations

import socket
import typing as t

import httpx
import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import TransportError
from ansible_collections.seed.cloudflow.plugins.module_utils._quota import RateLimiter
from ansible_collections.seed.cloudflow.plugins.module_utils._retry import RetryPolicy
from ansible_collections.seed.cloudflow.plugins.module_utils._transport import USER_AGENT, Transport
from ansible_collections.seed.cloudflow.tests.unit.plugins.mock_http import (
    ENDPOINT,
    PLAIN,
    SECRET,
    STS,
    Handler,
    RecordedClients,
    ScriptedService,
    certificate_failure,
    ok,
)

MakeClient = t.Callable[..., t.Any]


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
        (certificate_failure(), False),
        (httpx.DecodingError("invalid gzip"), False),
        (httpx.TooManyRedirects("Exceeded maximum allowed redirects."), False),
        (httpx.InvalidURL("Invalid non-printable ASCII character in URL"), False),
        (httpx.StreamConsumed(), False),
        (httpx.CookieConflict("Multiple cookies exist with name=x"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_every_httpx_failure_names_the_action_and_the_endpoint(make_client: MakeClient, error: BaseException, retried: bool) -> None:
    service = ScriptedService([_raising(error)], STS.access_key_secret)
    with make_client(service, STS, retry=RetryPolicy(max_retries=2)) as client, pytest.raises(TransportError) as raised:
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    text = str(raised.value)
    assert text.startswith("DescribeExecution failed: could not reach https://cn-hangzhou.fnf.aliyuncs.com after ")
    assert type(error).__name__ in text
    assert raised.value.endpoint == ENDPOINT
    assert raised.value.attempts == (3 if retried else 1)
    assert len(service.seen) == raised.value.attempts
    assert STS.security_token not in text and "Signature" not in text


def test_an_over_long_url_is_a_clean_transport_error_without_a_request(make_client: MakeClient) -> None:
    # httpx refuses URLs over 65536 characters with InvalidURL, which is not an httpx.HTTPError.
    service = ScriptedService([ok()], SECRET)
    with make_client(service, retry=RetryPolicy(max_retries=3)) as client, pytest.raises(TransportError) as raised:
        client.call("ListExecutions", {"FlowName": "f", "ExecutionNamePrefix": "x" * 70000})
    assert service.seen == []
    assert raised.value.attempts == 1
    assert str(raised.value).startswith("ListExecutions failed: could not reach https://cn-hangzhou.fnf.aliyuncs.com after 1 attempt: InvalidURL")
    assert "x" * 100 not in str(raised.value)


def test_a_refused_loopback_port_is_named_host_and_port() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = "http://127.0.0.1:{0}".format(port)
    with CloudFlowClient(endpoint, PLAIN, Transport(retry=RetryPolicy(max_retries=0)), RateLimiter(0)) as client:
        with pytest.raises(TransportError) as raised:
            client.call("StartExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert str(raised.value).startswith("StartExecution failed: could not reach {0} after 1 attempt: ConnectError".format(endpoint))
    assert "127.0.0.1:{0}".format(port) in str(raised.value)


@pytest.mark.parametrize("validate_certs", [True, False])
def test_transport_applies_validate_certs_to_https_only(monkeypatch: pytest.MonkeyPatch, validate_certs: bool) -> None:
    clients = RecordedClients(monkeypatch, lambda request: ok())
    with Transport(timeout=4, validate_certs=validate_certs) as transport:
        transport.send("AssumeRole", "GET", "https://sts.aliyuncs.com/")
        transport.send("ECS metadata token request", "PUT", "http://100.100.100.200/latest/api/token")
        transport.send("AssumeRole", "GET", "https://sts.aliyuncs.com/")
    # One pooled client per scheme; plain http never builds a TLS context.
    assert [options["verify"] for options in clients.options] == [validate_certs, False]
    # The User-Agent is always the collection's.
    assert all(options["headers"] == {"User-Agent": USER_AGENT} for options in clients.options)


def test_transport_timeouts_read_longer_connect_sooner_never_beyond() -> None:
    transport = Transport(timeout=10)
    assert transport.request_timeout().as_dict() == {"connect": 10, "read": 10, "write": 10, "pool": 10}
    assert transport.request_timeout(read=65).as_dict() == {"connect": 10, "read": 65, "write": 10, "pool": 10}
    assert transport.request_timeout(connect=1).as_dict() == {"connect": 1, "read": 10, "write": 10, "pool": 10}
    assert Transport(timeout=0.5).request_timeout(connect=1).as_dict()["connect"] == 0.5
    transport.close()


def test_clients_can_share_one_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    service = ScriptedService([ok()], SECRET)
    RecordedClients(monkeypatch, service)
    transport = Transport(timeout=3)
    with CloudFlowClient(ENDPOINT, PLAIN, transport, RateLimiter(0)) as client:
        client.call("DescribeExecution", {"FlowName": "f", "ExecutionName": "e"})
    assert client.http is transport and client.timeout == 3
    (seen,) = service.seen
    assert seen.timeout == {"connect": 3, "read": 3, "write": 3, "pool": 3}
    assert seen.headers["user-agent"] == USER_AGENT
