# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP for the collection: the one Transport every request goes through (the fnf API, STS, the ECS
metadata service), endpoint checks, request placement and signing, retries with full-jitter backoff,
and client-side token buckets that mirror the service's API quotas.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
import ssl
import threading
import time
import traceback
import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import (
    INVALID_RESPONSE,
    RESOURCE_THROTTLED,
    ApiError,
    CloudFlowError,
    ConfigurationError,
    TransportError,
    scrub,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._signing import API_VERSION, common_rpc_params, rpc_signature

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import Credentials

# The one guarded import of httpx; module_utils that need it take it from here.
try:
    import httpx
except ImportError:
    httpx = None
    HTTPX_IMPORT_ERROR = traceback.format_exc()
    HTTPX_ERRORS = ()  # type: t.Tuple[t.Type[BaseException], ...]
else:
    HTTPX_IMPORT_ERROR = None
    # Everything httpx raises on its own: InvalidURL (an over-long URL), StreamError and CookieConflict are not HTTPErrors.
    HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, httpx.CookieConflict)

# Keep in step with galaxy.yml (a unit test checks it): the User-Agent names the collection and its version.
COLLECTION_VERSION = "0.1.0"
USER_AGENT = "seed.cloudflow/{0} (Ansible collection)".format(COLLECTION_VERSION)

# Service quotas per account (reference section 10): action -> (burst, refill per second).
ACTION_QUOTAS = {
    "StartExecution": (100.0, 100.0),
    "DescribeExecution": (50.0, 5.0),
    "GetExecutionHistory": (50.0, 5.0),
}  # type: t.Dict[str, t.Tuple[float, float]]
DEFAULT_QUOTA = (10.0, 2.0)
BURST_HEADROOM = 1.0

# Actions that only read; they are sent as GET with every parameter in the query string.
READ_ACTIONS = frozenset(
    (
        "DescribeExecution",
        "ListExecutions",
        "GetExecutionHistory",
        "DescribeFlow",
        "ListFlows",
        "ListFlowVersions",
        "DescribeFlowAlias",
        "ListFlowAliases",
        "DescribeMapRun",
        "DescribeSchedule",
        "ListSchedules",
    )
)
# UpdateMapRun changes state but the API defines it as GET.
GET_ACTIONS = READ_ACTIONS | frozenset(("UpdateMapRun",))

RETRYABLE_CODES = frozenset((RESOURCE_THROTTLED, "ServiceUnavailable", "InternalServerError", "ConcurrentUpdateError"))
RETRY_AFTER_HEADER = "x-acs-retry-after"
DEFAULT_TIMEOUT = 30.0
LOOPBACK_NAMES = frozenset(("localhost", "localhost."))
_REGION_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def endpoint_for_region(region: str) -> str:
    """The public fnf endpoint of a region (the service uses region-first host names)."""
    if not region or not _REGION_PATTERN.match(region):
        raise ConfigurationError("region", "{0!r} is not a region id such as cn-hangzhou.".format(region))
    return "https://{0}.fnf.aliyuncs.com".format(region)


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown_endpoint(endpoint: str) -> str:
    """The endpoint for an error message, without user info or query, which may hold secrets."""
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return "an unparsable URL"
    netloc = parts.netloc.rpartition("@")[2]
    shown = "{0}://{1}{2}".format(parts.scheme, netloc, parts.path) if parts.scheme else endpoint.split("?")[0].rpartition("@")[2]
    return shown + ("?..." if parts.query else "")


def validate_endpoint(endpoint: str) -> str:
    """The normalised base URL (scheme://host[:port]); https, or plain http to a loopback host only."""
    text = (endpoint or "").strip()
    shown = _shown_endpoint(text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConfigurationError("endpoint", "is not a valid URL (got {0}).".format(shown))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("endpoint", "must be a URL like https://cn-hangzhou.fnf.aliyuncs.com (got {0}).".format(shown))
    if "@" in parts.netloc:
        raise ConfigurationError("endpoint", "must not contain user information (got {0}).".format(shown))
    if parts.path not in ("", "/"):
        raise ConfigurationError("endpoint", "must not have a path; the API is always served at / (got {0}).".format(shown))
    if parts.query or parts.fragment:
        raise ConfigurationError("endpoint", "must not have a query or fragment (got {0}).".format(shown))
    host = parts.hostname
    if scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            "endpoint", "plain http:// is only allowed for loopback hosts (got {0}); use https:// for anything else.".format(shown)
        )
    shown_host = "[{0}]".format(host) if ":" in host else host
    return "{0}://{1}{2}".format(scheme, shown_host.lower(), ":{0}".format(port) if port is not None else "")


def is_retryable(http_status: t.Optional[int], code: t.Optional[str]) -> bool:
    """Throttling, server-side failures and update conflicts are worth another try; nothing else."""
    if code and (code in RETRYABLE_CODES or code.startswith("Throttling")):
        return True
    if http_status is None:
        return False
    return http_status == 429 or 500 <= http_status <= 599


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, capped; max_retries counts retries after the first attempt."""

    max_retries: int = 6
    base_delay: float = 0.25
    max_delay: float = 20.0

    def delay(self, retry_number: int, retry_after: t.Optional[float], rng: random.Random) -> float:
        """Seconds to wait before retry number retry_number (0 for the first retry)."""
        # The exponent is bounded so that a huge retry count cannot overflow a float.
        cap = min(self.max_delay, self.base_delay * (2.0 ** min(max(retry_number, 0), 64)))
        wait = rng.uniform(0.0, cap)
        if retry_after is not None and retry_after > 0:
            wait = max(wait, min(float(retry_after), self.max_delay))
        return wait


class TokenBucket:
    """A token bucket that paces callers; thread-safe.

    A caller reserves its token under the lock (the count may go negative, which queues it
    behind earlier callers) and sleeps outside the lock, so many threads are spaced evenly.
    """

    def __init__(
        self,
        burst: float,
        rate: float,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        # A burst under one token would delay even the first call.
        self.burst = max(1.0, float(burst))
        self.rate = float(rate)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()

    def reserve(self) -> float:
        """Take one token and return how long the caller must wait before using it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> float:
        """Block until a token is available; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


class RateLimiter:
    """One TokenBucket per action, sized from ACTION_QUOTAS times scale; scale <= 0 disables limiting.

    The real quota is per account and shared with every other client, which this process cannot
    see; each module run is a fresh process, so every bucket starts full, like an idle account.
    """

    def __init__(
        self,
        scale: float = 1.0,
        *,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] = time.sleep,
    ) -> None:
        self.scale = float(scale)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets = {}  # type: t.Dict[str, TokenBucket]

    @property
    def enabled(self) -> bool:
        return self.scale > 0

    def bucket(self, action: str) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(action)
            if bucket is None:
                burst, rate = ACTION_QUOTAS.get(action, DEFAULT_QUOTA)
                # One token of headroom absorbs network jitter: a request delayed on a fresh connection must not let the
                # ones behind it reach the service's bucket early. The sustained rate is unchanged.
                bucket = TokenBucket(burst * self.scale - BURST_HEADROOM, rate * self.scale, clock=self._clock, sleep=self._sleep)
                self._buckets[action] = bucket
            return bucket

    def acquire(self, action: str) -> float:
        """Wait for the action's next token; returns the seconds waited."""
        if not self.enabled:
            return 0.0
        return self.bucket(action).acquire()


class ClientStats:
    """Counters for results and benchmarks; increments are thread-safe."""

    FIELDS = ("attempts", "retries", "throttled", "transport_errors", "rate_limit_wait_seconds")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.attempts = 0
        self.retries = 0
        self.throttled = 0
        self.transport_errors = 0
        self.rate_limit_wait_seconds = 0.0

    def add(self, field: str, amount: float = 1) -> None:
        with self._lock:
            setattr(self, field, getattr(self, field) + amount)

    def as_dict(self) -> t.Dict[str, float]:
        with self._lock:
            return {field: getattr(self, field) for field in self.FIELDS}


def wire_value(value: object) -> str:
    """A parameter value as the API expects it on the wire.

    Booleans are written the way the official Python SDK writes them: its query and form helpers
    (alibabacloud_tea_openapi Utils.query / Utils.to_form, through Utils._object_handler) apply str(),
    so True travels as "True" and False as "False".
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def wire_params(params: t.Mapping[str, object]) -> t.Dict[str, str]:
    """Action parameters as strings; None means 'not given' and is left out."""
    return {name: wire_value(value) for name, value in params.items() if value is not None}


def http_method_for(action: str) -> str:
    return "GET" if action in GET_ACTIONS else "POST"


def signed_request_parts(
    action: str,
    params: t.Mapping[str, object],
    credentials: Credentials,
    *,
    version: str = API_VERSION,
    method: t.Optional[str] = None,
) -> t.Tuple[str, t.Dict[str, str], t.Optional[t.Dict[str, str]]]:
    """(method, query, form body) for one attempt, signed with a fresh timestamp and nonce.

    GET carries everything in the query; POST carries the common parameters and the signature
    in the query and the action parameters in the form body. Both are signed together.
    method defaults to the fnf API's choice for the action.
    """
    action_params = wire_params(params)
    common = common_rpc_params(action, credentials.access_key_id, credentials.security_token, version=version)
    clashing = sorted((set(common) | {"Signature"}) & set(action_params))
    if clashing:
        raise ValueError("parameters {0} are reserved for signing".format(", ".join(clashing)))
    method = method or http_method_for(action)
    signed = dict(common)
    signed.update(action_params)
    signature = rpc_signature(method, signed, credentials.access_key_secret)
    if method == "GET":
        signed["Signature"] = signature
        return method, signed, None
    common["Signature"] = signature
    return method, common, action_params


def _retry_after_seconds(response: t.Any) -> t.Optional[float]:
    """The wait the service asks for. The official SDK reads x-acs-retry-after as whole milliseconds."""
    raw = response.headers.get(RETRY_AFTER_HEADER)
    if raw is None:
        return None
    try:
        milliseconds = int(raw.strip())
    except ValueError:
        return None
    return milliseconds / 1000.0 if milliseconds > 0 else None


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


def endpoint_label(url: str) -> str:
    """scheme://host[:port] of a URL, for messages: no user info, path or query (a signed query holds secrets)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return "an unparsable URL"
    if not parts.scheme or not host:
        return "an unparsable URL"
    shown_host = "[{0}]".format(host) if ":" in host else host
    return "{0}://{1}{2}".format(parts.scheme.lower(), shown_host, ":{0}".format(port) if port is not None else "")


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
        user_agent: str = USER_AGENT,
        timeout: float = DEFAULT_TIMEOUT,
        validate_certs: bool = True,
        retry: t.Optional[RetryPolicy] = None,
        httpx_transport: t.Optional[t.Any] = None,
        sleep: t.Callable[[float], None] = time.sleep,
        rng: t.Optional[random.Random] = None,
    ) -> None:
        if httpx is None:
            raise CloudFlowError("the Python library httpx is required on the managed node but could not be imported.")
        self.user_agent = user_agent
        self.timeout = float(timeout)
        self.validate_certs = validate_certs
        self.retry = retry if retry is not None else RetryPolicy()
        self._httpx_transport = httpx_transport
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
                    transport=self._httpx_transport,
                    headers={"User-Agent": self.user_agent},
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
        self.stats = ClientStats()

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
                waited = self.rate_limiter.acquire(action)
                if waited:
                    self.stats.add("rate_limit_wait_seconds", waited)
            self.stats.add("attempts")
            attempts = retries + 1
            try:
                response = self._send(action, params, read_timeout)
            except TransportError as error:
                self.stats.add("transport_errors")
                if not error.retryable or retries >= self.retry.max_retries:
                    raise error.after(attempts)
                self._back_off(retries, None)
                retries += 1
                continue
            if 200 <= response.status_code < 300:
                return self._success_body(action, response)
            error = self._api_error(action, response, attempts)
            if response.status_code == 429:
                self.stats.add("throttled")
            if retries >= self.retry.max_retries or not is_retryable(error.http_status, error.code):
                raise error
            self._back_off(retries, _retry_after_seconds(response))
            retries += 1

    def _send(self, action: str, params: t.Mapping[str, object], read_timeout: t.Optional[float]) -> t.Any:
        method, query, form = signed_request_parts(action, params, self.credentials, version=self.version, method=self.method)
        return self.http.send(
            action, method, self.url, params=query, data=form,
            headers={"x-acs-action": action, "x-acs-version": self.version},
            read_timeout=read_timeout, secrets=self._secrets(),
        )

    def _back_off(self, retries: int, retry_after: t.Optional[float]) -> None:
        self.stats.add("retries")
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
    """A signed, rate-limited, retrying client for the fnf RPC API. Thread-safe.

    Pass http to share the module's Transport (the one the credential chain used); without it the client
    builds its own from timeout, validate_certs, retry, transport (an httpx transport, for tests), sleep and rng.
    """

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        *,
        user_agent: str = USER_AGENT,
        timeout: float = DEFAULT_TIMEOUT,
        validate_certs: bool = True,
        retry: t.Optional[RetryPolicy] = None,
        quota_scale: float = 1.0,
        transport: t.Optional[t.Any] = None,
        sleep: t.Callable[[float], None] = time.sleep,
        rng: t.Optional[random.Random] = None,
        rate_limiter: t.Optional[RateLimiter] = None,
        http: t.Optional[Transport] = None,
    ) -> None:
        endpoint = validate_endpoint(endpoint)
        if http is None:
            http = Transport(
                user_agent=user_agent, timeout=timeout, validate_certs=validate_certs, retry=retry,
                httpx_transport=transport, sleep=sleep, rng=rng,
            )
        super().__init__(
            endpoint, credentials, http, rate_limiter=rate_limiter if rate_limiter is not None else RateLimiter(quota_scale)
        )

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
