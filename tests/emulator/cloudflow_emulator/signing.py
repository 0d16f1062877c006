# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Request signature verification: RPC V1 (HMAC-SHA1) and ACS3-HMAC-SHA256 (V3).

This is the emulator's own implementation of reference sections 4.1-4.3; it shares no code with
the collection's client-side signer.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Mapping, Optional, Tuple
from urllib.parse import quote

from .errors import ApiError

V1 = "RPC-V1-HMAC-SHA1"
V3 = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# Headers a V3 request must have signed (besides x-acs-security-token when it is sent).
V3_REQUIRED_SIGNED = ("host", "x-acs-action", "x-acs-version", "x-acs-date",
                      "x-acs-signature-nonce", "x-acs-content-sha256")


def percent_encode(value: str) -> str:
    """RFC 3986: UTF-8 bytes, keep A-Z a-z 0-9 - _ . ~, everything else %XX (upper-case)."""
    return quote(value, safe="~", encoding="utf-8", errors="strict")


# ---------------------------------------------------------------- V1 -------------------------------

def v1_canonical_query(params: Mapping[str, Optional[str]]) -> str:
    items = sorted((k, v) for k, v in params.items() if v is not None and k != "Signature")
    return "&".join(percent_encode(k) + "=" + percent_encode(v) for k, v in items)


def v1_string_to_sign(method: str, params: Mapping[str, Optional[str]]) -> str:
    return method.upper() + "&%2F&" + percent_encode(v1_canonical_query(params))


def v1_signature(secret: str, method: str, params: Mapping[str, Optional[str]]) -> str:
    digest = hmac.new((secret + "&").encode("utf-8"),
                      v1_string_to_sign(method, params).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# ---------------------------------------------------------------- V3 -------------------------------

def v3_canonical_query(query: Iterable[Tuple[str, str]]) -> str:
    return "&".join(percent_encode(k) + "=" + percent_encode(v) for k, v in sorted(query))


def v3_canonical_request(method: str, uri: str, query: Iterable[Tuple[str, str]],
                         headers: Mapping[str, str], signed_headers: List[str],
                         payload_hash: str) -> str:
    canon_headers = "".join(
        "%s:%s\n" % (name, headers.get(name, "").strip()) for name in signed_headers
    )
    return "\n".join([
        method.upper(), uri, v3_canonical_query(query), canon_headers,
        ";".join(signed_headers), payload_hash,
    ])


def v3_string_to_sign(canonical_request: str) -> str:
    return V3 + "\n" + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()


def v3_signature(secret: str, canonical_request: str) -> str:
    return hmac.new(secret.encode("utf-8"), v3_string_to_sign(canonical_request).encode("utf-8"),
                    hashlib.sha256).hexdigest()


def parse_v3_authorization(value: str) -> Dict[str, str]:
    if not value.startswith(V3 + " "):
        raise ValueError("not ACS3-HMAC-SHA256")
    out: Dict[str, str] = {}
    for part in value[len(V3) + 1:].split(","):
        name, sep, val = part.strip().partition("=")
        if not sep:
            raise ValueError("bad Authorization part %r" % part)
        out[name.strip()] = val.strip()
    for name in ("Credential", "SignedHeaders", "Signature"):
        if not out.get(name):
            raise ValueError("missing %s" % name)
    return out


# ---------------------------------------------------------------- verification ---------------------

@dataclass
class IncomingRequest:
    """What the verifier needs from an HTTP request (values already percent-decoded)."""

    method: str
    query: List[Tuple[str, str]]
    form: List[Tuple[str, str]] = field(default_factory=list)
    headers: Dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    path: str = "/"

    def params(self) -> Dict[str, str]:
        """Query and form merged; the body wins on a conflict."""
        merged = dict(self.query)
        merged.update(self.form)
        return merged


@dataclass
class AuthResult:
    algorithm: str
    access_key_id: Optional[str]
    action: Optional[str]
    version: Optional[str]
    security_token: Optional[str] = None


def detect_algorithm(req: IncomingRequest) -> str:
    if req.headers.get("authorization", "").startswith(V3 + " "):
        return V3
    return V1


def parse_timestamp(value: str) -> datetime:
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        raise ValueError("timestamp without time zone")
    return dt.astimezone(timezone.utc)


class NonceCache:
    """Remembers nonces for a window of seconds (monotonic clock)."""

    def __init__(self) -> None:
        self._seen: Dict[str, float] = {}

    def clear(self) -> None:
        self._seen.clear()

    def check_and_add(self, nonce: str, now: float, window: float) -> bool:
        if len(self._seen) > 10000:
            self._seen = {k: t for k, t in self._seen.items() if t > now}
        expires = self._seen.get(nonce)
        if expires is not None and expires > now:
            return False
        self._seen[nonce] = now + max(window, 1.0)
        return True


def _fmt(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def verify(req: IncomingRequest, settings: Mapping[str, object], nonces: Optional[NonceCache],
           now_wall: datetime, now_mono: float) -> AuthResult:
    """Authenticate one API request; raise ApiError as the service would.

    Order: signature parameters, key lookup, signature, security token, timestamp, nonce.
    """
    params = req.params()
    algorithm = detect_algorithm(req)
    keys: Mapping[str, str] = settings.get("keys") or {}  # type: ignore[assignment]
    if algorithm == V1:
        result = AuthResult(V1, params.get("AccessKeyId"), params.get("Action"),
                            params.get("Version"), params.get("SecurityToken"))
        timestamp = params.get("Timestamp")
        nonce = params.get("SignatureNonce")
    else:
        timestamp = req.headers.get("x-acs-date")
        nonce = req.headers.get("x-acs-signature-nonce")
        result = AuthResult(V3, None, req.headers.get("x-acs-action"),
                            req.headers.get("x-acs-version"),
                            req.headers.get("x-acs-security-token"))
    if not settings.get("verify_signature", True):
        if algorithm == V3:
            try:
                result.access_key_id = parse_v3_authorization(
                    req.headers["authorization"])["Credential"]
            except ValueError:
                pass
        return result

    if algorithm == V1:
        for name in ("AccessKeyId", "Signature"):
            if not params.get(name):
                raise ApiError("MissingRequiredParams", name)
        if params.get("SignatureMethod") != "HMAC-SHA1":
            raise ApiError("InvalidArgument", message="The SignatureMethod '%s' is not supported."
                           % params.get("SignatureMethod", ""))
        if params.get("SignatureVersion") != "1.0":
            raise ApiError("InvalidArgument", message="The SignatureVersion '%s' is not supported."
                           % params.get("SignatureVersion", ""))
        key_id = params["AccessKeyId"]
        secret = keys.get(key_id)
        if secret is None:
            raise ApiError("InvalidAccessKeyID", key_id)
        expected = v1_signature(secret, req.method, params)
        if not hmac.compare_digest(expected.encode(), params["Signature"].encode()):
            raise ApiError("SignatureNotMatch")
    else:
        try:
            auth = parse_v3_authorization(req.headers["authorization"])
        except ValueError:
            raise ApiError("SignatureNotMatch", message="The Authorization header is malformed.")
        key_id = auth["Credential"]
        result.access_key_id = key_id
        if "x-acs-content-sha256" not in req.headers:
            raise ApiError("MissingRequiredHeader", "x-acs-content-sha256")
        signed = [h.strip().lower() for h in auth["SignedHeaders"].split(";") if h.strip()]
        required = list(V3_REQUIRED_SIGNED)
        if "x-acs-security-token" in req.headers:
            required.append("x-acs-security-token")
        for name in required:
            if name not in req.headers:
                raise ApiError("MissingRequiredHeader", name)
            if name not in signed:
                raise ApiError("SignatureNotMatch",
                               message="The header '%s' must be signed." % name)
        secret = keys.get(key_id)
        if secret is None:
            raise ApiError("InvalidAccessKeyID", key_id)
        payload_hash = hashlib.sha256(req.body).hexdigest()
        if req.headers["x-acs-content-sha256"].strip().lower() != payload_hash:
            raise ApiError("SignatureNotMatch",
                           message="The x-acs-content-sha256 header does not match the body.")
        canonical = v3_canonical_request(req.method, req.path or "/", req.query, req.headers,
                                         sorted(signed), payload_hash)
        expected = v3_signature(secret, canonical)
        if not hmac.compare_digest(expected.encode(), auth["Signature"].lower().encode()):
            raise ApiError("SignatureNotMatch")

    # Security token (STS).
    token = result.security_token
    sts_tokens: Mapping[str, Mapping[str, object]] = settings.get("sts_tokens") or {}  # type: ignore
    if token is not None:
        entry = sts_tokens.get(token)
        if entry is None:
            raise ApiError("InvalidSecurityToken.Malformed")
        if entry.get("access_key_id") != key_id:
            raise ApiError("InvalidSecurityToken.MismatchWithAccessKey", key_id)
        expires_at = entry.get("expires_at")
        if expires_at:
            try:
                expiry = parse_timestamp(str(expires_at))
            except ValueError:
                raise ApiError("InvalidSecurityToken.Malformed")
            if expiry <= now_wall:
                raise ApiError("InvalidSecurityToken.Expired")
    elif key_id.startswith("STS."):
        raise ApiError("InvalidSecurityToken.Malformed",
                       message="A security token is required for the AccessKey ID %s." % key_id)

    skew = float(settings.get("max_skew_seconds", 900))  # type: ignore[arg-type]
    if settings.get("check_timestamp", True):
        if not timestamp:
            if algorithm == V1:
                raise ApiError("MissingRequiredParams", "Timestamp")
            raise ApiError("MissingRequiredHeader", "x-acs-date")
        try:
            ts = parse_timestamp(timestamp)
        except ValueError:
            raise ApiError("InvalidArgument",
                           message="The timestamp '%s' is not in UTC ISO 8601 format." % timestamp)
        if abs((now_wall - ts).total_seconds()) > skew:
            raise ApiError("RequestTimeTooSkewed", _fmt(ts), _fmt(now_wall))
    if settings.get("check_nonce", True) and nonces is not None:
        if not nonce:
            if algorithm == V1:
                raise ApiError("MissingRequiredParams", "SignatureNonce")
            raise ApiError("MissingRequiredHeader", "x-acs-signature-nonce")
        if not nonces.check_and_add(nonce, now_mono, skew):
            raise ApiError("SignatureNonceUsed", nonce)
    return result
