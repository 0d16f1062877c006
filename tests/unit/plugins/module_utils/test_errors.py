# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import (
    EXECUTION_ALREADY_COMPLETED,
    EXECUTION_ALREADY_EXISTS,
    EXECUTION_NOT_EXISTS,
    FLOW_NOT_EXISTS,
    ApiError,
    CloudFlowError,
    ConfigurationError,
    CredentialsError,
    NotFoundError,
    TransportError,
)


def test_code_constants() -> None:
    assert EXECUTION_NOT_EXISTS == "ExecutionNotExists"
    assert FLOW_NOT_EXISTS == "FlowNotExists"
    assert EXECUTION_ALREADY_COMPLETED == "ExecutionAlreadyCompleted"
    assert EXECUTION_ALREADY_EXISTS == "ExecutionAlreadyExists"


def test_api_error_message_and_fields() -> None:
    error = ApiError("StopExecution", 404, EXECUTION_NOT_EXISTS, "Execution e1 for flow f1 does not exist.", "5A1B-REQ")
    assert str(error) == "StopExecution failed: ExecutionNotExists (HTTP 404): Execution e1 for flow f1 does not exist. RequestId: 5A1B-REQ."
    assert error.hint is None
    assert error.as_dict() == {
        "action": "StopExecution",
        "http_status": 404,
        "code": "ExecutionNotExists",
        "message": "Execution e1 for flow f1 does not exist.",
        "request_id": "5A1B-REQ",
    }
    assert isinstance(error, CloudFlowError)


def test_api_error_reports_attempts() -> None:
    error = ApiError("ListExecutions", 500, "InternalServerError", "An internal error has occurred", None, attempts=7)
    text = str(error)
    assert text.startswith("ListExecutions failed: InternalServerError (HTTP 500): An internal error has occurred.")
    assert "Gave up after 7 attempts." in text
    assert "RequestId" not in text
    assert error.attempts == 7


@pytest.mark.parametrize(
    "code, status, words",
    [
        ("SignatureNotMatch", 403, "access_key_secret"),
        ("SignatureDoesNotMatch", 400, "access_key_secret"),
        ("InvalidAccessKeyID", 403, "access_key_id"),
        ("InvalidAccessKeyId.NotFound", 404, "access_key_id"),
        ("RequestTimeTooSkewed", 403, "NTP"),
        ("InvalidSecurityToken.Expired", 400, "refresh"),
        ("InvalidSecurityToken.Malformed", 400, "security_token"),
        ("ResourceThrottled", 429, "retries"),
        ("Throttling.User", 400, "concurrency"),
    ],
)
def test_hints(code: str, status: int, words: str) -> None:
    error = ApiError("StartExecution", status, code, "message text", "RID")
    assert error.hint and words in error.hint
    assert str(error).endswith("Hint: " + error.hint)


@pytest.mark.parametrize("code", ["ExecutionNotExists", "InvalidArgument", "SignatureNonceUsed"])
def test_no_hint_for_other_codes(code: str) -> None:
    assert ApiError("DescribeExecution", 400, code, "m").hint is None


def test_explicit_hint_wins() -> None:
    assert ApiError("DescribeExecution", 403, "SignatureNotMatch", "m", hint="custom").hint == "custom"


def test_configuration_error_starts_with_option() -> None:
    error = ConfigurationError("endpoint", "plain http:// is only allowed for loopback hosts (got http://example.com).")
    assert str(error).startswith("endpoint: plain http://")
    assert error.option == "endpoint"
    assert isinstance(error, CloudFlowError)


def test_transport_error_fields() -> None:
    error = TransportError("DescribeExecution", 3, "ConnectError: connection refused")
    assert error.action == "DescribeExecution"
    assert error.attempts == 3
    assert str(error) == "DescribeExecution failed: could not reach the CloudFlow endpoint after 3 attempts: ConnectError: connection refused"


def test_transport_error_names_the_endpoint() -> None:
    error = TransportError("StartExecution", 1, "ConnectError: refused", endpoint="http://127.0.0.1:8443", retryable=True)
    assert str(error) == "StartExecution failed: could not reach http://127.0.0.1:8443 after 1 attempt: ConnectError: refused"
    later = error.after(4)
    assert str(later) == "StartExecution failed: could not reach http://127.0.0.1:8443 after 4 attempts: ConnectError: refused"
    assert (later.endpoint, later.retryable, later.action) == ("http://127.0.0.1:8443", True, "StartExecution")


def test_not_found_keeps_the_service_answer() -> None:
    answer = ApiError("DescribeExecution", 404, EXECUTION_NOT_EXISTS, "Execution e1 for flow f1 does not exist.", "5A1B-REQ")
    error = NotFoundError(answer, "cannot be stopped")
    assert isinstance(error, ApiError)
    assert error.as_dict() == answer.as_dict()
    assert str(error) == "cannot be stopped because it does not exist (DescribeExecution answered ExecutionNotExists, RequestId: 5A1B-REQ)."


def test_credentials_error_with_hint() -> None:
    error = CredentialsError("no credentials", hint="set them")
    assert str(error) == "no credentials Hint: set them"


def test_api_error_without_message_or_code() -> None:
    error = ApiError("StopExecution", 502, None, None)
    assert str(error) == "StopExecution failed: UnknownError (HTTP 502)."


def _all_errors() -> t.List[CloudFlowError]:
    return [ApiError("A", 400, "C", "M", "R"), ConfigurationError("o", "m"), CredentialsError("m"), TransportError("A", 1, "r")]


def test_every_error_is_a_cloudflow_error() -> None:
    for error in _all_errors():
        assert isinstance(error, CloudFlowError)
        assert str(error)
