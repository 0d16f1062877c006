# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Signed RPC calls to one endpoint over the Transport, paced by the quota buckets and retried by the policy;
and listings that follow NextToken."""

from __future__ import annotations

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import INVALID_RESPONSE, ApiError, TransportError, scrub
from ansible_collections.seed.cloudflow.plugins.module_utils._quota import RateLimiter
from ansible_collections.seed.cloudflow.plugins.module_utils._request import signed_request_parts
from ansible_collections.seed.cloudflow.plugins.module_utils._retry import RetryPolicy, is_retryable, retry_after_seconds
from ansible_collections.seed.cloudflow.plugins.module_utils._signing import API_VERSION

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import Credentials
    from ansible_collections.seed.cloudflow.plugins.module_utils._transport import Transport


def _first_field(body: t.Mapping[str, t.Any], *names: str) -> t.Optional[str]:
    for name in names:
        value = body.get(name)
        if value not in (None, ""):
            return str(value)
    return None


class RpcClient:
    """Signed RPC calls (signature V1) to one endpoint over a Transport, retried by the transport's policy.

    The fnf API (CloudFlowClient) and STS AssumeRole (the credential chain) both use it, so there is one copy
    of the signing, retry and error-reading steps. Thread-safe.
    """

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        http: Transport,
        *,
        version: str = API_VERSION,
        method: t.Optional[str] = None,
        rate_limiter: t.Optional[RateLimiter] = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.url = self.endpoint + "/"
        self.credentials = credentials
        self.http = http
        self.version = version
        self.method = method
        self.rate_limiter = rate_limiter

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    @property
    def timeout(self) -> float:
        return self.http.timeout

    @property
    def retry(self) -> RetryPolicy:
        return self.http.retry

    def call(self, action: str, params: t.Mapping[str, object], *, read_timeout: t.Optional[float] = None) -> t.Dict[str, t.Any]:
        """Run one API action and return its JSON body; raises ApiError or TransportError."""
        retries = 0
        while True:
            if self.rate_limiter is not None:
                self.rate_limiter.acquire(action)
            attempts = retries + 1
            try:
                response = self._send(action, params, read_timeout)
            except TransportError as transport_error:
                if not transport_error.retryable or retries >= self.retry.max_retries:
                    raise transport_error.after(attempts)
                self._back_off(retries, None)
                retries += 1
                continue
            if 200 <= response.status_code < 300:
                return self._success_body(action, response)
            error = self._api_error(action, response, attempts)
            if retries >= self.retry.max_retries or not is_retryable(error.http_status, error.code):
                raise error
            self._back_off(retries, retry_after_seconds(response))
            retries += 1

    def _send(self, action: str, params: t.Mapping[str, object], read_timeout: t.Optional[float]) -> t.Any:
        method, query, form = signed_request_parts(action, params, self.credentials, version=self.version, method=self.method)
        return self.http.send(
            action, method, self.url, params=query, data=form,
            headers={"x-acs-action": action, "x-acs-version": self.version},
            read_timeout=read_timeout, secrets=self._secrets(),
        )

    def _back_off(self, retries: int, retry_after: t.Optional[float]) -> None:
        self.http.back_off(retries, retry_after)

    def _secrets(self) -> t.List[t.Optional[str]]:
        return [self.credentials.access_key_secret, self.credentials.security_token]

    def _success_body(self, action: str, response: t.Any) -> t.Dict[str, t.Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ApiError(
                action, response.status_code, INVALID_RESPONSE, "the service answered with a body that is not a JSON object.",
                response.headers.get("x-acs-request-id"),
            )
        return body

    def _api_error(self, action: str, response: t.Any, attempts: int) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            content_type = response.headers.get("content-type") or "no content type"
            return ApiError(
                action, response.status_code, INVALID_RESPONSE,
                "the service answered HTTP {0} with a body that is not JSON ({1}, {2} bytes).".format(
                    response.status_code, content_type, len(response.content)
                ),
                response.headers.get("x-acs-request-id"), attempts=attempts,
            )
        code = _first_field(body, "Code", "code") or "HTTP{0}".format(response.status_code)
        message = _first_field(body, "Message", "message")
        request_id = _first_field(body, "RequestId", "requestId") or response.headers.get("x-acs-request-id")
        return ApiError(
            action, response.status_code, code, scrub(message, self._secrets()) if message else None, request_id, attempts=attempts
        )


class CloudFlowClient(RpcClient):
    """A signed, rate-limited, retrying client for the fnf RPC API at a validated endpoint. Thread-safe.

    It shares the module's Transport (the one the credential chain used, with the module's timeout, validate_certs,
    User-Agent and retries); the rate limiter is the run's one quota budget per action.
    """

    def __init__(self, endpoint: str, credentials: Credentials, http: Transport, rate_limiter: RateLimiter) -> None:
        super().__init__(endpoint, credentials, http, rate_limiter=rate_limiter)

    def __enter__(self) -> CloudFlowClient:
        return self


def iterate_pages(
    client: RpcClient,
    action: str,
    params: t.Mapping[str, object],
    items_key: str,
    page_size: t.Optional[int] = None,
) -> t.Iterator[t.Dict[str, t.Any]]:
    """Every item of a listing action (ListFlows, ListSchedules, ListExecutions, ...), page by page, following NextToken.

    The listing ends when an answer has no NextToken (or an empty one), and also when an answer hands back a token
    this listing has already sent: a service whose token does not advance (ListSchedules documents its token as the
    flow's name) would otherwise be asked for the same page again and again, spending the account's quota of two
    calls a second. The page size, when given, is sent as Limit.
    """
    request = dict(params)
    if page_size is not None:
        request["Limit"] = page_size
    sent_tokens = set()  # type: t.Set[object]
    while True:
        page = client.call(action, request)
        yield from page.get(items_key) or []
        next_token = page.get("NextToken")
        if not next_token or next_token in sent_tokens:
            return
        sent_tokens.add(next_token)
        request["NextToken"] = next_token
