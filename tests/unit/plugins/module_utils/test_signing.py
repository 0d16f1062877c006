# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import re
import typing as t
from pathlib import Path

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._signing import (
    canonicalized_query,
    common_rpc_params,
    percent_encode,
    rpc_signature,
    rpc_string_to_sign,
)

VECTORS_FILE_NAME = "cloudflow-signature-vectors.json"
V1_ALGORITHM = "RPC-V1-HMAC-SHA1"
EXPECTED_V1_VECTOR_COUNT = 6


def find_vectors_file() -> Path:
    """CLOUDFLOW_SIGNATURE_VECTORS, else the copy of the shared vectors kept in tests/fixtures/."""
    configured = os.environ.get("CLOUDFLOW_SIGNATURE_VECTORS")
    candidate = Path(configured) if configured else Path(__file__).resolve().parents[3] / "fixtures" / VECTORS_FILE_NAME
    if not candidate.is_file():
        # Failing (not skipping) keeps a missing vectors file from turning into a silent pass.
        pytest.fail("{0} not found at {1}".format(VECTORS_FILE_NAME, candidate))
    return candidate


def load_vectors() -> t.Dict[str, t.Any]:
    with find_vectors_file().open(encoding="utf-8") as vectors_file:
        return json.load(vectors_file)


@pytest.fixture(scope="module")
def vectors_document() -> t.Dict[str, t.Any]:
    return load_vectors()


@pytest.fixture(scope="module")
def v1_vectors(vectors_document: t.Dict[str, t.Any]) -> t.List[t.Dict[str, t.Any]]:
    return [vector for vector in vectors_document["vectors"] if vector["algorithm"] == V1_ALGORITHM]


def test_all_v1_vectors_are_present(v1_vectors: t.List[t.Dict[str, t.Any]]) -> None:
    assert len(v1_vectors) == EXPECTED_V1_VECTOR_COUNT


@pytest.mark.parametrize("index", range(EXPECTED_V1_VECTOR_COUNT))
def test_v1_vector_canonicalized_query(v1_vectors: t.List[t.Dict[str, t.Any]], index: int) -> None:
    vector = v1_vectors[index]
    assert canonicalized_query(vector["inputs"]["signed_params"]) == vector["expected"]["canonicalized_query_string"], vector["name"]


@pytest.mark.parametrize("index", range(EXPECTED_V1_VECTOR_COUNT))
def test_v1_vector_string_to_sign(v1_vectors: t.List[t.Dict[str, t.Any]], index: int) -> None:
    vector = v1_vectors[index]
    inputs = vector["inputs"]
    assert rpc_string_to_sign(inputs["http_method"], inputs["signed_params"]) == vector["expected"]["string_to_sign"], vector["name"]


@pytest.mark.parametrize("index", range(EXPECTED_V1_VECTOR_COUNT))
def test_v1_vector_signature(v1_vectors: t.List[t.Dict[str, t.Any]], index: int) -> None:
    vector = v1_vectors[index]
    inputs = vector["inputs"]
    signature = rpc_signature(inputs["http_method"], inputs["signed_params"], inputs["access_key_secret"])
    assert signature == vector["expected"]["signature"], vector["name"]


@pytest.mark.parametrize("index", range(EXPECTED_V1_VECTOR_COUNT))
def test_v1_vector_common_params_match_the_sdk(v1_vectors: t.List[t.Dict[str, t.Any]], index: int) -> None:
    """common_rpc_params produces exactly the SDK's common parameters (the legacy-core vector differs by design)."""
    vector = v1_vectors[index]
    if vector["name"].startswith("v1_legacy_core"):
        return
    inputs = vector["inputs"]
    signed = inputs["signed_params"]
    common = common_rpc_params(
        signed["Action"], inputs["access_key_id"], inputs["security_token"], timestamp=signed["Timestamp"], nonce=signed["SignatureNonce"]
    )
    assert {name: signed[name] for name in common} == common
    assert ("SecurityToken" in common) == bool(inputs["security_token"])


def test_percent_encoding_examples(vectors_document: t.Dict[str, t.Any]) -> None:
    examples = vectors_document["percent_encoding_examples"]["map"]
    assert examples, "no percent-encoding examples in the vectors file"
    for raw, encoded in examples.items():
        assert percent_encode(raw) == encoded, raw


@pytest.mark.parametrize(
    "raw, encoded",
    [
        ("AZaz09-_.~", "AZaz09-_.~"),
        ("a b", "a%20b"),
        ("a+b", "a%2Bb"),
        ("é", "%C3%A9"),
        ("", ""),
    ],
)
def test_percent_encode_rfc3986(raw: str, encoded: str) -> None:
    assert percent_encode(raw) == encoded


def test_changed_value_changes_signature(v1_vectors: t.List[t.Dict[str, t.Any]]) -> None:
    vector = v1_vectors[0]
    inputs = vector["inputs"]
    changed = dict(inputs["signed_params"])
    changed["ExecutionName"] = changed["ExecutionName"] + "x"
    assert rpc_signature(inputs["http_method"], changed, inputs["access_key_secret"]) != vector["expected"]["signature"]


def test_changed_method_or_secret_changes_signature(v1_vectors: t.List[t.Dict[str, t.Any]]) -> None:
    vector = v1_vectors[0]
    inputs = vector["inputs"]
    other_method = "GET" if inputs["http_method"] == "POST" else "POST"
    assert rpc_signature(other_method, inputs["signed_params"], inputs["access_key_secret"]) != vector["expected"]["signature"]
    assert rpc_signature(inputs["http_method"], inputs["signed_params"], inputs["access_key_secret"] + "x") != vector["expected"]["signature"]


def test_none_values_are_not_signed() -> None:
    assert canonicalized_query({"B": "2", "A": None, "C": ""}) == "B=2&C="  # type: ignore[dict-item]


def test_common_params_are_fresh_each_time() -> None:
    first = common_rpc_params("DescribeExecution", "id", None)
    second = common_rpc_params("DescribeExecution", "id", None)
    assert first["SignatureNonce"] != second["SignatureNonce"]
    assert re.match(r"^[0-9a-f]{32}$", first["SignatureNonce"])
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", first["Timestamp"])
    assert "SecurityToken" not in first
    assert first["Version"] == "2019-03-15" and first["Format"] == "json"
    assert first["SignatureMethod"] == "HMAC-SHA1" and first["SignatureVersion"] == "1.0"


def test_common_params_carry_security_token() -> None:
    params = common_rpc_params("StopExecution", "id", "token", timestamp="2024-05-01T12:34:56Z", nonce="n1", version="2015-04-01")
    assert params["SecurityToken"] == "token"
    assert params["Timestamp"] == "2024-05-01T12:34:56Z"
    assert params["SignatureNonce"] == "n1"
    assert params["Version"] == "2015-04-01"
