# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Alibaba Cloud RPC signature, version 1 (HMAC-SHA1), as used by the fnf 2019-03-15 API.

Pure standard library so that it can be checked against the shared test vectors in isolation.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import typing as t
import uuid
from urllib.parse import quote

API_VERSION = "2019-03-15"
SIGNATURE_METHOD = "HMAC-SHA1"
SIGNATURE_VERSION = "1.0"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding: UTF-8 bytes, keep A-Za-z0-9 and -_.~, everything else upper-case %XX."""
    # quote() always keeps letters, digits and "_.-"; "~" must be listed because Python < 3.7 escaped it.
    return quote(value.encode("utf-8"), safe="~")


def canonicalized_query(params: t.Mapping[str, str]) -> str:
    """Sorted name=value pairs, both percent-encoded, joined with '&' (None values are left out)."""
    pairs = sorted((name, value) for name, value in params.items() if value is not None)
    return "&".join("{0}={1}".format(percent_encode(name), percent_encode(value)) for name, value in pairs)


def rpc_string_to_sign(http_method: str, params: t.Mapping[str, str]) -> str:
    """METHOD&%2F&percent_encode(canonicalized query); the path of an RPC call is always '/'."""
    return "{0}&{1}&{2}".format(http_method.upper(), percent_encode("/"), percent_encode(canonicalized_query(params)))


def rpc_signature(http_method: str, params: t.Mapping[str, str], access_key_secret: str) -> str:
    """Base64 HMAC-SHA1 of the string to sign, keyed with secret + '&'."""
    key = (access_key_secret + "&").encode("utf-8")
    message = rpc_string_to_sign(http_method, params).encode("utf-8")
    digest = hmac.new(key, message, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def utc_timestamp() -> str:
    """The current time in the format the RPC gateway expects (UTC, no fractions)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(TIMESTAMP_FORMAT)


def new_nonce() -> str:
    """A fresh SignatureNonce; the gateway rejects a nonce it has already seen."""
    return uuid.uuid4().hex


def common_rpc_params(
    action: str,
    access_key_id: str,
    security_token: t.Optional[str],
    *,
    timestamp: t.Optional[str] = None,
    nonce: t.Optional[str] = None,
    version: str = API_VERSION,
) -> t.Dict[str, str]:
    """The parameters every signed RPC request carries in its query string (without Signature)."""
    params = {
        "Action": action,
        "Version": version,
        "Format": "json",
        "Timestamp": timestamp if timestamp is not None else utc_timestamp(),
        "SignatureNonce": nonce if nonce is not None else new_nonce(),
        "SignatureMethod": SIGNATURE_METHOD,
        "SignatureVersion": SIGNATURE_VERSION,
        "AccessKeyId": access_key_id,
    }
    if security_token:
        params["SecurityToken"] = security_token
    return params
