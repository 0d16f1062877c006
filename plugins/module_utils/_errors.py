# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The exception family of the collection and the wording of its failure messages.

No message ever contains request parameters or headers: they carry the access key, the
security token and the signature.
"""

from __future__ import annotations

import re
import typing as t
from urllib.parse import quote_plus

from ansible_collections.seed.cloudflow.plugins.module_utils._signing import percent_encode

EXECUTION_NOT_EXISTS = "ExecutionNotExists"
FLOW_NOT_EXISTS = "FlowNotExists"
FLOW_ALREADY_EXISTS = "FlowAlreadyExists"
SCHEDULE_NOT_EXISTS = "ScheduleNotExists"
SCHEDULE_ALREADY_EXISTS = "ScheduleAlreadyExists"
# The version and alias actions document no codes of their own (reference 1.4): these are what a missing version or
# alias is answered with (as the emulator does); the modules read the live state first and do not depend on them.
FLOW_VERSION_NOT_EXISTS = "FlowVersionNotExists"
FLOW_ALIAS_NOT_EXISTS = "FlowAliasNotExists"
FLOW_ALIAS_ALREADY_EXISTS = "FlowAliasAlreadyExists"
EXECUTION_ALREADY_COMPLETED = "ExecutionAlreadyCompleted"
EXECUTION_ALREADY_EXISTS = "ExecutionAlreadyExists"
RESOURCE_THROTTLED = "ResourceThrottled"
INVALID_RESPONSE = "InvalidResponse"

_HINT_WRONG_SECRET = "check access_key_secret (and that it belongs to access_key_id); the request signature did not match."
_HINT_WRONG_KEY_ID = "check access_key_id: the service does not know this AccessKey ID (deleted, disabled or mistyped)."
_HINT_CLOCK = "the local clock differs too much from the service time; synchronise the clock of the managed node (NTP)."
_HINT_TOKEN = "the STS security_token expired or is malformed; refresh it (assume the role again) and retry."
_HINT_THROTTLED = "still throttled after all retries; raise the retries option or lower the concurrency of the play."


def hint_for_code(code: t.Optional[str], http_status: t.Optional[int] = None) -> t.Optional[str]:
    """A short remedy for error codes whose cause is usually on the caller's side."""
    if not code:
        return _HINT_THROTTLED if http_status == 429 else None
    lowered = code.lower()
    if lowered.startswith("invalidsecuritytoken"):
        return _HINT_TOKEN
    if lowered.startswith("invalidaccesskeyid"):
        return _HINT_WRONG_KEY_ID
    if lowered.startswith("signature") and "nonce" not in lowered:
        return _HINT_WRONG_SECRET
    if code == "RequestTimeTooSkewed" or lowered.startswith("invalidtimestamp"):
        return _HINT_CLOCK
    if code == RESOURCE_THROTTLED or code.startswith("Throttling") or http_status == 429:
        return _HINT_THROTTLED
    return None


class CloudFlowError(Exception):
    """Base of every error this collection raises; str() is a complete user-facing message."""

    hint: t.Optional[str] = None

    def __init__(self, message: str, hint: t.Optional[str] = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        message = super().__str__()
        if self.hint:
            return "{0} Hint: {1}".format(message, self.hint)
        return message


class ConfigurationError(CloudFlowError):
    """An option value found to be wrong locally, before any request was sent."""

    def __init__(self, option: str, message: str, hint: t.Optional[str] = None) -> None:
        super().__init__("{0}: {1}".format(option, message), hint=hint)
        self.option = option


class CredentialsError(CloudFlowError):
    """No usable credentials, or a credential source failed."""


class TransportError(CloudFlowError):
    """The service could not be reached (connection, TLS, timeout, unusable URL) even after retrying.

    endpoint is the scheme, host and port only (never a path or query, which may hold a signature);
    retryable says whether another attempt could succeed (a refused certificate or a bad URL cannot).
    """

    def __init__(
        self,
        action: str,
        attempts: int,
        reason: str,
        hint: t.Optional[str] = None,
        *,
        endpoint: t.Optional[str] = None,
        retryable: bool = False,
    ) -> None:
        message = "{0} failed: could not reach {1} after {2} attempt{3}: {4}".format(
            action, endpoint or "the CloudFlow endpoint", attempts, "" if attempts == 1 else "s", reason
        )
        super().__init__(message, hint=hint)
        self.action = action
        self.attempts = attempts
        self.reason = reason
        self.endpoint = endpoint
        self.retryable = retryable

    def after(self, attempts: int) -> TransportError:
        """The same failure, reported after the given number of attempts."""
        return TransportError(self.action, attempts, self.reason, self.hint, endpoint=self.endpoint, retryable=self.retryable)


class RecordError(CloudFlowError):
    """A maintenance-window record file could not be read, locked or written; the message names the file."""

    def __init__(self, path: str, problem: str, hint: t.Optional[str] = None) -> None:
        if not problem.endswith((".", "!", "?")):
            problem += "."
        super().__init__("{0}: {1}".format(path, problem), hint=hint)
        self.path = path


class ApiError(CloudFlowError):
    """The service answered with an error (after retries, when the error was retryable)."""

    def __init__(
        self,
        action: str,
        http_status: t.Optional[int],
        code: t.Optional[str],
        message: t.Optional[str],
        request_id: t.Optional[str] = None,
        *,
        attempts: int = 1,
        hint: t.Optional[str] = None,
    ) -> None:
        self.action = action
        self.http_status = http_status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.attempts = attempts
        if hint is None:
            hint = hint_for_code(code, http_status)
        super().__init__(self._describe(), hint=hint)

    def _describe(self) -> str:
        status = "HTTP {0}".format(self.http_status) if self.http_status is not None else "no HTTP status"
        text = "{0} failed: {1} ({2})".format(self.action, self.code or "UnknownError", status)
        if self.message:
            text += ": " + self.message.rstrip()
            if not text.endswith((".", "!", "?")):
                text += "."
        else:
            text += "."
        if self.request_id:
            text += " RequestId: {0}.".format(self.request_id)
        if self.attempts > 1:
            text += " Gave up after {0} attempts.".format(self.attempts)
        return text

    def as_dict(self) -> t.Dict[str, t.Any]:
        """The fields a module puts into its failure result."""
        return {
            "action": self.action,
            "http_status": self.http_status,
            "code": self.code,
            "message": self.message,
            "request_id": self.request_id,
        }


class NotFoundError(ApiError):
    """A resource the task needs does not exist; it keeps the service's answer, so the failure carries Code and RequestId.

    doing says what could not be done (for example "cannot be stopped"); modules put the resource's name in front.
    """

    def __init__(self, answer: ApiError, doing: str) -> None:
        self.doing = doing
        super().__init__(
            answer.action, answer.http_status, answer.code, answer.message, answer.request_id, attempts=answer.attempts, hint=answer.hint
        )

    def _describe(self) -> str:
        text = "{0} because it does not exist ({1} answered {2}".format(self.doing, self.action, self.code or "UnknownError")
        if self.request_id:
            text += ", RequestId: {0}".format(self.request_id)
        return text + ")."


def _secret_forms(secret: str) -> t.List[str]:
    """A secret as it may be echoed back: raw, percent-encoded once or twice, form-encoded."""
    once = percent_encode(secret)
    return sorted({secret, once, percent_encode(once), quote_plus(secret)}, key=len, reverse=True)


_SIGNATURE_VALUE = re.compile(r"(Signature(?:=|%3D|%253D))[^&\s]+", re.IGNORECASE)


def scrub(text: str, secrets: t.Iterable[t.Optional[str]]) -> str:
    """Remove secrets from text that came from elsewhere (a gateway may echo the string to sign)."""
    text = _SIGNATURE_VALUE.sub(r"\1***", text)
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        for form in _secret_forms(secret):
            text = text.replace(form, "***")
    return text


class FailedWithResult(CloudFlowError):
    """A failure after (or instead of) changes the module must still report: result holds the fields it returns
    beside the message (changed, the entries it acted on), error the service's answer when there is one."""

    def __init__(self, message: str, result: t.Mapping[str, t.Any], error: t.Optional[CloudFlowError] = None) -> None:
        super().__init__(message)
        self.result = dict(result)
        self.error = error


class WaitTimeout(CloudFlowError):
    """An execution was still in progress when a wait ran out; last_status is the status seen last."""

    def __init__(self, flow_name: str, name: str, timeout: float, last_status: str) -> None:
        super().__init__(
            "Timed out after {0:g} seconds waiting for execution {1!r} of flow {2!r} to finish; last status seen: {3}".format(
                timeout, name, flow_name, last_status or "Starting"
            )
        )
        self.last_status = last_status


class DeleteWaitTimeout(CloudFlowError):
    def __init__(self, name: str, timeout: float) -> None:
        super().__init__(
            "Timed out after {0:g} seconds waiting for flow {1!r} to be deleted: DescribeFlow still finds it "
            "(the service deletes flows asynchronously)".format(timeout, name)
        )


class FlowBusy(FailedWithResult):
    """A flow with executions in progress was to be deleted without force; executions are the result entries."""

    SHOWN = 20

    def __init__(self, name: str, executions: t.Sequence[t.Mapping[str, t.Any]]) -> None:
        shown = ", ".join("{0} ({1})".format(entry["name"], entry["status_before"]) for entry in executions[:self.SHOWN])
        if len(executions) > self.SHOWN:
            shown += " and {0} more".format(len(executions) - self.SHOWN)
        super().__init__(
            "Flow {0!r} has {1} execution(s) in progress: {2}. Nothing was changed. Stop them first, or set force=true to "
            "stop them, delete the flow's schedules and then the flow".format(name, len(executions), shown),
            {"changed": False, "executions": list(executions), "deleted_schedules": []},
        )
        self.executions = list(executions)


class FlowRemovalError(FailedWithResult):
    """A flow's removal stopped part way; removal says what had been done, result what the module reports."""

    def __init__(self, removal: t.Any, message: str, error: t.Optional[CloudFlowError] = None) -> None:
        super().__init__(message, removal.result(), error)
        self.removal = removal
