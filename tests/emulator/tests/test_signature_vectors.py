# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The 12 shared signature vectors verify through the emulator's verifier (directly and over
HTTP), and a one-character change to any signed value is rejected."""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from cloudflow_emulator import settings as settings_mod
from cloudflow_emulator.errors import ApiError
from cloudflow_emulator.signing import IncomingRequest, NonceCache, verify

SHARED_VECTORS = (Path(__file__).resolve().parents[3].parent / "shared"
                  / "cloudflow-signature-vectors.json")
REPO_VECTORS = Path(__file__).resolve().parents[2] / "fixtures" / "cloudflow-signature-vectors.json"
VECTORS_PATH = Path(os.environ.get(
    "CLOUDFLOW_SIGNATURE_VECTORS",
    str(SHARED_VECTORS if SHARED_VECTORS.is_file() or not REPO_VECTORS.is_file()
        else REPO_VECTORS),
))


def _load() -> Dict[str, Any]:
    if not VECTORS_PATH.is_file():
        raise AssertionError(
            "signature vectors not found at %s (set CLOUDFLOW_SIGNATURE_VECTORS)" % VECTORS_PATH)
    return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


DATA = _load()
VECTORS = DATA["vectors"]
STS_TOKEN = DATA["fixed_inputs"]["security_token"]


def vector_settings() -> Dict[str, Any]:
    return settings_mod.merge(settings_mod.defaults(), {
        "check_timestamp": False, "check_nonce": False,
        "sts_tokens": {STS_TOKEN: {"access_key_id": DATA["fixed_inputs"]["access_key_id"],
                                   "expires_at": None}},
    })


def test_vector_file_has_twelve_vectors() -> None:
    algorithms = [v["algorithm"] for v in VECTORS]
    assert len(VECTORS) == 12
    assert algorithms.count("RPC-V1-HMAC-SHA1") == 6
    assert algorithms.count("ACS3-HMAC-SHA256") == 6


# --------------------------------------------------------------- building requests ------------

def v1_parts(vector: Dict[str, Any], signed: Dict[str, str], signature: str
             ) -> Tuple[str, List[Tuple[str, str]], List[Tuple[str, str]]]:
    """(method, query, form) the way the SDK put this vector on the wire."""
    method = vector["inputs"]["http_method"]
    wire = vector["wire_as_sent_by_official_sdk"]
    if "form_body_params" in wire:
        body_names = set(wire["form_body_params"])
    elif wire.get("form_body"):
        body_names = {k for k, _value in parse_qsl(wire["form_body"], keep_blank_values=True)}
    else:
        body_names = set()
    query = [(k, v) for k, v in signed.items() if k not in body_names]
    query.append(("Signature", signature))
    form = [(k, v) for k, v in signed.items() if k in body_names]
    return method, query, form


def v1_incoming(vector: Dict[str, Any], signed: Dict[str, str]) -> IncomingRequest:
    method, query, form = v1_parts(vector, signed, vector["expected"]["signature"])
    body = urlencode(form).encode() if form else b""
    headers = {"content-type": "application/x-www-form-urlencoded"} if form else {}
    return IncomingRequest(method, query, form, headers, body)


def v3_incoming(vector: Dict[str, Any], headers: Dict[str, str], query: Dict[str, str],
                body: str) -> IncomingRequest:
    raw = body.encode()
    form = parse_qsl(body, keep_blank_values=True) if body else []
    h = {k.lower(): v for k, v in headers.items()}
    h["authorization"] = vector["expected"]["authorization"]
    return IncomingRequest(vector["inputs"]["http_method"], list(query.items()), form, h, raw)


def original(vector: Dict[str, Any]) -> IncomingRequest:
    inputs = vector["inputs"]
    if vector["algorithm"] == "RPC-V1-HMAC-SHA1":
        return v1_incoming(vector, dict(inputs["signed_params"]))
    return v3_incoming(vector, dict(inputs["headers_before_authorization"]),
                       dict(inputs["query"]), inputs["body"] or "")


def mutate(value: str) -> str:
    if not value:
        return "x"
    return value[:-1] + ("A" if value[-1] != "A" else "B")


def mutations(vector: Dict[str, Any]) -> Iterator[Tuple[str, IncomingRequest]]:
    inputs = vector["inputs"]
    if vector["algorithm"] == "RPC-V1-HMAC-SHA1":
        for name in inputs["signed_params"]:
            signed = dict(inputs["signed_params"])
            signed[name] = mutate(signed[name])
            yield "param " + name, v1_incoming(vector, signed)
        return
    headers = dict(inputs["headers_before_authorization"])
    signed_names = vector["expected"]["signed_headers"].split(";")
    for name in signed_names:
        changed = dict(headers)
        changed[name] = mutate(changed[name])
        yield "header " + name, v3_incoming(vector, changed, dict(inputs["query"]),
                                            inputs["body"] or "")
    for name in inputs["query"]:
        query = dict(inputs["query"])
        query[name] = mutate(query[name])
        yield "query " + name, v3_incoming(vector, headers, query, inputs["body"] or "")
    if inputs["body"]:
        yield "body", v3_incoming(vector, headers, dict(inputs["query"]), mutate(inputs["body"]))


def run_verify(req: IncomingRequest) -> Any:
    return verify(req, vector_settings(), NonceCache(), datetime.now(timezone.utc),
                  time.monotonic())


# --------------------------------------------------------------- direct verifier --------------

@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_verifies(vector: Dict[str, Any]) -> None:
    result = run_verify(original(vector))
    assert result.algorithm == vector["algorithm"]
    assert result.access_key_id == vector["inputs"]["access_key_id"]
    assert result.version == "2019-03-15"


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_one_character_change_is_rejected(vector: Dict[str, Any]) -> None:
    cases = list(mutations(vector))
    assert len(cases) >= 6
    for label, req in cases:
        with pytest.raises(ApiError) as info:
            run_verify(req)
        err = info.value
        if label in ("param AccessKeyId",):
            assert err.code == "InvalidAccessKeyID", label
        elif label in ("param SignatureMethod", "param SignatureVersion"):
            assert err.code == "InvalidArgument", label
        else:
            assert err.code == "SignatureNotMatch", (label, err.code)


def test_vector_wrong_secret_is_rejected() -> None:
    settings = vector_settings()
    settings["keys"] = {DATA["fixed_inputs"]["access_key_id"]: "not-the-secret"}
    for vector in VECTORS:
        with pytest.raises(ApiError) as info:
            verify(original(vector), settings, None, datetime.now(timezone.utc), 0.0)
        assert info.value.code == "SignatureNotMatch"


def test_vectors_fail_the_time_check_when_it_is_on() -> None:
    settings = vector_settings()
    settings["check_timestamp"] = True
    with pytest.raises(ApiError) as info:
        verify(original(VECTORS[0]), settings, None, datetime.now(timezone.utc), 0.0)
    assert info.value.code == "RequestTimeTooSkewed" and info.value.status == 403


# --------------------------------------------------------------- over HTTP --------------------

@pytest.fixture()
def vector_emulator(client, control):  # type: ignore[no-untyped-def]
    control.configure(check_timestamp=False, check_nonce=False, quotas_enabled=False,
                      stop_delay_seconds=3600,
                      sts_tokens={STS_TOKEN: {"access_key_id": DATA["fixed_inputs"]["access_key_id"],
                                              "expires_at": None}})
    for name in ("exec-2024_04_30", "exec-2024_05_01"):
        control.seed_execution("my_flow-01", name, status="Running")
    return client


def send(client, req: IncomingRequest, host_header: bool):  # type: ignore[no-untyped-def]
    headers = dict(req.headers)
    if not host_header:
        headers.pop("host", None)
    return client.request(req.method, "/", params=req.query, content=req.body or None,
                          headers=headers)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_replayed_over_http(vector_emulator, vector: Dict[str, Any]) -> None:  # type: ignore
    req = original(vector)
    resp = send(vector_emulator, req, host_header=True)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["RequestId"]
    log = vector_emulator.get("/_emulator/requests").json()["requests"][-1]
    assert log["signature_algorithm"] == vector["algorithm"]
    assert log["access_key_id"] == vector["inputs"]["access_key_id"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_mutations_rejected_over_http(vector_emulator, vector: Dict[str, Any]) -> None:  # type: ignore
    for label, req in mutations(vector):
        resp = send(vector_emulator, req, host_header=True)
        assert resp.status_code in (400, 403, 415), (label, resp.status_code, resp.text)
        assert resp.json()["Code"] in ("SignatureNotMatch", "InvalidAccessKeyID",
                                       "InvalidArgument", "UnsupportedMediaType"), label


def test_v1_wire_bytes_exactly_as_the_sdk_sent_them(vector_emulator) -> None:  # type: ignore
    """Send the SDK's literal URL and form body (spaces as '+', Signature URL-encoded)."""
    for vector in VECTORS:
        wire = vector.get("wire_as_sent_by_official_sdk", {})
        if vector["algorithm"] != "RPC-V1-HMAC-SHA1":
            continue
        if "url" in wire:
            parts = urlsplit(wire["url"])
            path_query = parts.path + "?" + parts.query
            body = (wire.get("form_body") or "").encode()
        else:
            path_query = wire["path_and_query"]
            body = urlencode(wire["form_body_params"]).encode()
        headers = {"content-type": "application/x-www-form-urlencoded"} if body else {}
        resp = vector_emulator.request(vector["inputs"]["http_method"], path_query,
                                       content=body or None, headers=headers)
        assert resp.status_code == 200, (vector["name"], resp.text)
