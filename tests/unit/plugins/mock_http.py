# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""httpx.MockTransport under the collection's Transport, for the tests of the transport, the client and the credential chain.

A Transport builds its own pooled httpx.Client objects (always with the collection's User-Agent); RecordedClients
replaces httpx.Client in _transport, so that every client a Transport builds sends through one MockTransport to a
handler, and keeps the options each client was built with and every request.
"""

from __future__ import annotations

import random
import ssl
import threading
import typing as t
from urllib.parse import parse_qsl

import httpx
import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _transport
from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient
from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import Credentials
from ansible_collections.seed.cloudflow.plugins.module_utils._quota import RateLimiter
from ansible_collections.seed.cloudflow.plugins.module_utils._signing import rpc_signature
from ansible_collections.seed.cloudflow.plugins.module_utils._transport import Transport

Handler = t.Callable[[httpx.Request], httpx.Response]
# The class itself, whatever a test has patched since: RecordedClients may be set up more than once in a test.
REAL_CLIENT = httpx.Client


class RecordedClients:
    """Replaces httpx.Client for the rest of the test: every client sends through a MockTransport to handler."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, handler: Handler) -> None:
        self.options: list[dict[str, t.Any]] = []
        self.requests: list[httpx.Request] = []
        self._handler = handler
        self._lock = threading.Lock()

        def build(**options: t.Any) -> httpx.Client:
            self.options.append(dict(options))
            options["transport"] = httpx.MockTransport(self._record)
            return REAL_CLIENT(**options)

        # _transport's httpx is the httpx module itself: monkeypatch undoes this after the test.
        monkeypatch.setattr(_transport.httpx, "Client", build)

    def _record(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
        return self._handler(request)


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


class ScriptedService:
    """A MockTransport handler that records each request and answers from a script: a response, an exception to
    raise, or a handler to call; the last step answers every request after it."""

    def __init__(self, script: t.Sequence[t.Any], secret: str) -> None:
        self.script = list(script)
        self.secret = secret
        self.seen: list[SeenRequest] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.seen.append(SeenRequest(request, self.secret))
            step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return t.cast(httpx.Response, step(request))
        return t.cast(httpx.Response, step)


def certificate_failure() -> httpx.ConnectError:
    """What httpx raises when the server's TLS certificate fails verification."""
    error = httpx.ConnectError("TLS handshake failed")
    error.__cause__ = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] self-signed certificate")
    return error


def ok(body: t.Optional[dict[str, t.Any]] = None) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"RequestId": "OK-1"})


def failure(status: int, code: str, message: str = "message", request_id: str = "REQ-1",
            headers: t.Optional[dict[str, str]] = None) -> httpx.Response:
    return httpx.Response(status, json={"Code": code, "Message": message, "RequestId": request_id}, headers=headers)


class Sleeps:
    """An injected sleep that records delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


ENDPOINT = "https://cn-hangzhou.fnf.aliyuncs.com"
KEY_ID = "LTAI5tFakeAccessKeyId01"
SECRET = "FakeAccessKeySecret0123456789abcd"
TOKEN = "CAIS+fake/STS=token~with*specials"
PLAIN = Credentials(KEY_ID, SECRET, None, "test")
STS = Credentials("STS.EmulatorKeyId", "EmulatorStsSecret", TOKEN, "test")


def make_client(monkeypatch: pytest.MonkeyPatch, service: Handler, credentials: Credentials = PLAIN, *, quota_scale: float = 0,
                rate_limiter: t.Optional[RateLimiter] = None, **transport_options: t.Any) -> CloudFlowClient:
    """A CloudFlowClient for ENDPOINT whose Transport sends to service; no real sleeps, a seeded jitter, no pacing
    unless asked for."""
    RecordedClients(monkeypatch, service)
    transport_options.setdefault("sleep", Sleeps())
    transport_options.setdefault("rng", random.Random(7))
    return CloudFlowClient(ENDPOINT, credentials, Transport(**transport_options), rate_limiter or RateLimiter(quota_scale))
