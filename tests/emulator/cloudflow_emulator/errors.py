# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fnf error codes with their HTTP status and message templates (reference section 9.2)."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

# code -> (http status, message template)
ERRORS: Dict[str, Tuple[int, str]] = {
    "InvalidArgument": (400, "Parameter error."),
    "MissingRequiredParams": (400, "The HTTP query '%s' must be specified."),
    "MissingRequiredHeader": (400, "The HTTP header '%s' must be specified."),
    "ActionNotSupported": (400, "The requested API operation '%s' is incorrect. Please check."),
    "APIVersionNotSupported": (400, "The requested API version '%s' is not supported yet. Please check."),
    "EntityTooLarge": (400, "The payload size exceeds maximum allowed size (%s bytes)."),
    "ExecutionAlreadyExists": (400, "Execution %s for flow %s already exists."),
    "ExecutionAlreadyCompleted": (400, "Execution '%s' for flow '%s' has already completed."),
    "AccessDenied": (403, "The resources doesn't belong to you."),
    "InvalidAccessKeyID": (403, "The AccessKey ID %s is invalid."),
    "RequestTimeTooSkewed": (
        403,
        "The difference between the request time %s and the current time %s is too large.",
    ),
    "SignatureNotMatch": (
        403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your access key and signing method.",
    ),
    # Emulator choices (no fnf code exists for these; see README.md).
    "SignatureNonceUsed": (403, "The request signature nonce %s has been used."),
    "InvalidSecurityToken.Expired": (403, "The security token you provided has expired."),
    "InvalidSecurityToken.Malformed": (403, "The security token you provided is invalid."),
    "InvalidSecurityToken.MismatchWithAccessKey": (
        403,
        "The security token you provided does not match the AccessKey ID %s.",
    ),
    # The service's template has two spaces ("Flow  %s does not exist.", reference 9.2); the
    # emulator answers with one (README.md, "Emulator choices").
    "FlowNotExists": (404, "Flow %s does not exist."),
    "ExecutionNotExists": (404, "Execution %s for flow %s does not exist."),
    "ScheduleNotExists": (404, "The schedule %s for flow %s does not exist."),
    # Versions and aliases: the reference lists no codes of their own (UNCERTAIN); these are
    # the emulator's (README.md, "Versions and aliases").
    "FlowVersionNotExists": (404, "Version %s of flow %s does not exist."),
    "FlowAliasNotExists": (404, "The alias %s for flow %s does not exist."),
    "FlowAliasAlreadyExists": (409, "The alias %s already exists in flow %s."),
    "FlowVersionInUse": (409, "Version %s of flow %s is in use by alias(es): %s."),
    "LimitExceeded": (400, "The number of %s of flow %s has reached the limit (%s)."),
    "FlowAlreadyExists": (409, "Flow %s already exists."),
    "ScheduleAlreadyExists": (409, "The schedule %s already exists in flow %s."),
    "ConcurrentUpdateError": (409, "Update conflict, please retry."),
    "UnsupportedMediaType": (415, 'The content type must be "application/json".'),
    "ResourceThrottled": (429, "The request is throttled. Please try again later."),
    "InternalServerError": (500, "An internal error has occurred. Please retry."),
}


class ApiError(Exception):
    """An error answered to an API caller as the service would."""

    def __init__(
        self,
        code: str,
        *args: Any,
        message: Optional[str] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> None:
        status, template = ERRORS[code]
        if message is None:
            if args:
                message = template % args
            else:
                message = template.replace("'%s' ", "").replace("%s ", "").replace(" %s", "")
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


class DropConnection(Exception):
    """Close the client's connection without any response (fault injection)."""
