# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one way this collection sends HTTP, and the one guarded import of httpx.

The fnf API, STS AssumeRole and the ECS metadata service all go through a Transport, which applies the module's
timeout, certificate checking, User-Agent and retry policy, and turns every httpx exception into a TransportError
that names the action and the endpoint.
"""

from __future__ import annotations

import random
import re
import ssl
import threading
import time
import traceback
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._endpoint import endpoint_label
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import TransportError, scrub
from ansible_collections.seed.cloudflow.plugins.module_utils._retry import RetryPolicy

HTTPX_IMPORT_ERROR = None  # type: t.Optional[str]
HTTPX_ERRORS = ()  # type: t.Tuple[t.Type[BaseException], ...]
try:
    import httpx
except ImportError:
    # The module runner reports it (missing_required_lib) before anything is sent.
    httpx = None  # type: ignore[assignment]
    HTTPX_IMPORT_ERROR = traceback.format_exc()
else:
    # Everything httpx raises on its own: InvalidURL (an over-long URL), StreamError and CookieConflict are not HTTPErrors.
    HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, httpx.CookieConflict)

# Keep in step with galaxy.yml (a unit test checks it): the User-Agent names the collection and its version.
COLLECTION_VERSION = "0.1.0"
USER_AGENT = "seed.cloudflow/{0} (Ansible collection)".format(COLLECTION_VERSION)
DEFAULT_TIMEOUT = 30.0


CERTIFICATE_HINT = (
    "the endpoint's TLS certificate could not be verified; fix the certificate or the endpoint, or set "
    "validate_certs: false for a test endpoint you trust."
)


def _is_certificate_error(error: BaseException) -> bool:
    """Whether a transport error was caused by TLS certificate verification (httpx wraps the ssl error)."""
    seen = set()  # type: t.Set[int]
    current = error  # type: t.Optional[BaseException]
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def describe_transport_error(error: BaseException, secrets: t.Iterable[t.Optional[str]] = ()) -> str:
    """The exception's type and text, with URLs' queries and any secret removed."""
    detail = str(error) or "no details"
    detail = re.sub(r"\?\S*", "?...", detail)
    return "{0}: {1}".format(type(error).__name__, scrub(detail, secrets))


class Transport:
    """The one way this collection sends HTTP: the fnf API, STS AssumeRole and the ECS metadata service.

    It applies the module's timeout, certificate checking and User-Agent to every request, holds the retry
    policy and its backoff, and turns every httpx exception (InvalidURL included, which is not an HTTPError)
    into a TransportError that names the action and the endpoint. Thread-safe.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        validate_certs: bool = True,
        retry: t.Optional[RetryPolicy] = None,
        sleep: t.Callable[[float], None] = time.sleep,
        rng: t.Optional[random.Random] = None,
    ) -> None:
        self.timeout = float(timeout)
        self.validate_certs = validate_certs
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._rng_lock = threading.Lock()
        self._clients = {}  # type: t.Dict[bool, t.Any]
        self._clients_lock = threading.Lock()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        with self._clients_lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _client(self, tls: bool) -> t.Any:
        """One pooled httpx client for https and one for plain http, created on first use."""
        with self._clients_lock:
            client = self._clients.get(tls)
            if client is None:
                client = httpx.Client(
                    timeout=httpx.Timeout(self.timeout),
                    # Plain http (loopback, the metadata address) needs no TLS context; building one loads the CA bundle (~70 ms).
                    verify=self.validate_certs and tls,
                    headers={"User-Agent": USER_AGENT},
                    follow_redirects=False,
                )
                self._clients[tls] = client
            return client

    def request_timeout(self, read: t.Optional[float] = None, connect: t.Optional[float] = None) -> t.Any:
        """The module's timeout; a long poll may read longer, a caller may connect sooner, never later."""
        return httpx.Timeout(
            self.timeout,
            read=max(self.timeout, read) if read else self.timeout,
            connect=min(self.timeout, connect) if connect else self.timeout,
        )

    def send(
        self,
        action: str,
        method: str,
        url: str,
        *,
        params: t.Optional[t.Mapping[str, str]] = None,
        data: t.Optional[t.Mapping[str, str]] = None,
        headers: t.Optional[t.Mapping[str, str]] = None,
        read_timeout: t.Optional[float] = None,
        connect_timeout: t.Optional[float] = None,
        secrets: t.Iterable[t.Optional[str]] = (),
    ) -> t.Any:
        """One attempt; returns the response whatever its status, raises TransportError (attempts=1)."""
        try:
            client = self._client(url[:8].lower() == "https://")
            request = client.build_request(
                method, url, params=params, data=data, headers=headers,
                timeout=self.request_timeout(read_timeout, connect_timeout),
            )
            return client.send(request)
        except HTTPX_ERRORS as error:
            certificate = _is_certificate_error(error)
            raise TransportError(
                action, 1, describe_transport_error(error, secrets),
                CERTIFICATE_HINT if certificate else None,
                endpoint=endpoint_label(url),
                # A certificate that fails verification will fail again: retrying only delays the answer.
                retryable=isinstance(error, httpx.TransportError) and not certificate,
            )

    def back_off(self, retries: int, retry_after: t.Optional[float]) -> None:
        with self._rng_lock:
            delay = self.retry.delay(retries, retry_after, self._rng)
        self._sleep(delay)
