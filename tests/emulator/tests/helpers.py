# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test helpers: a small independent V1 / V3 signer and an API client for the emulator."""
from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Mapping, Optional
from urllib.parse import quote

import httpx
from cloudflow_emulator import (DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
                                DEFAULT_SECURITY_TOKEN, DEFAULT_STS_ACCESS_KEY_ID,
                                DEFAULT_STS_ACCESS_KEY_SECRET)

AK = DEFAULT_ACCESS_KEY_ID
SECRET = DEFAULT_ACCESS_KEY_SECRET
STS_AK = DEFAULT_STS_ACCESS_KEY_ID
STS_SECRET = DEFAULT_STS_ACCESS_KEY_SECRET
STS_TOKEN = DEFAULT_SECURITY_TOKEN
VERSION = "2019-03-15"
WRITE_ACTIONS = {"StartExecution", "StopExecution", "CreateFlow", "DeleteFlow", "UpdateFlow",
                 "CreateSchedule", "UpdateSchedule", "DeleteSchedule", "PublishFlowVersion",
                 "DeleteFlowVersion", "CreateFlowAlias", "UpdateFlowAlias", "DeleteFlowAlias"}


def _enc(value: str) -> str:
    return quote(value, safe="-_.~")


def sign_v1(method: str, params: Mapping[str, str], secret: str) -> str:
    canon = "&".join("%s=%s" % (_enc(k), _enc(params[k])) for k in sorted(params))
    sts = "%s&%s&%s" % (method, _enc("/"), _enc(canon))
    mac = hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def common_params(action: str, ak: str = AK, token: Optional[str] = None,
                  **overrides: str) -> Dict[str, str]:
    params = {
        "Action": action, "Version": VERSION, "Format": "json", "Timestamp": utc_now(),
        "SignatureNonce": uuid.uuid4().hex, "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0", "AccessKeyId": ak,
    }
    if token is not None:
        params["SecurityToken"] = token
    params.update(overrides)
    return params


class Api:
    """Signs and sends API requests the way the official SDK does (V1)."""

    def __init__(self, client: httpx.Client, ak: str = AK, secret: str = SECRET,
                 token: Optional[str] = None) -> None:
        self.client = client
        self.ak = ak
        self.secret = secret
        self.token = token

    def request(self, action: str, params: Optional[Mapping[str, Any]] = None,
                method: Optional[str] = None, secret: Optional[str] = None,
                common: Optional[Mapping[str, str]] = None, headers: Optional[Dict[str, str]] = None,
                timeout: float = 10.0) -> httpx.Response:
        if method is None:
            method = "POST" if action in WRITE_ACTIONS else "GET"
        query = common_params(action, self.ak, self.token)
        if common:
            query.update(common)
        query = {k: v for k, v in query.items() if v is not None}
        action_params = {k: str(v) for k, v in (params or {}).items() if v is not None}
        signed = dict(query)
        signed.update(action_params)
        query["Signature"] = sign_v1(method, signed, secret if secret is not None else self.secret)
        if method == "GET":
            query.update(action_params)
            return self.client.get("/", params=query, headers=headers, timeout=timeout)
        return self.client.post("/", params=query, data=action_params or None, headers=headers,
                                timeout=timeout)

    def call(self, action: str, params: Optional[Mapping[str, Any]] = None,
             **kw: Any) -> Dict[str, Any]:
        resp = self.request(action, params, **kw)
        assert resp.status_code == 200, (resp.status_code, resp.text)
        return resp.json()

    def error(self, action: str, params: Optional[Mapping[str, Any]] = None, *,
              status: int, code: str, **kw: Any) -> Dict[str, Any]:
        resp = self.request(action, params, **kw)
        body = resp.json()
        assert (resp.status_code, body.get("Code")) == (status, code), (resp.status_code, body)
        assert set(body) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}
        return body
