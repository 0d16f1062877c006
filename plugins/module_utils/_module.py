# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module glue: the shared argument spec, local validation, client construction and failing."""

from __future__ import annotations

import json
import os
import re
import traceback
import typing as t
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import resolve_credentials
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, CloudFlowError, ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._http import (
    HTTPX_IMPORT_ERROR,
    CloudFlowClient,
    RetryPolicy,
    endpoint_for_region,
    httpx,
    validate_endpoint,
)

# Keep in step with galaxy.yml (a unit test checks it): the User-Agent names the collection and its version.
COLLECTION_VERSION = "0.1.0"
USER_AGENT = "seed.cloudflow/{0} (Ansible collection)".format(COLLECTION_VERSION)

ENDPOINT_ENV = "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT"

MIN_QUOTA_SCALE = 0.001
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
NAME_MAX_LENGTH = 128
NAME_RULE = "1-128 characters: letters, digits, '_' and '-', starting with a letter or '_'"

CONNECTION_OPTIONS = (
    "region", "access_key_id", "access_key_secret", "security_token", "profile", "endpoint",
    "validate_certs", "timeout", "retries", "retry_max_delay", "quota_scale",
)


def connection_argument_spec() -> dict[str, dict[str, t.Any]]:
    """The options every module shares; documented in the seed.cloudflow.connection doc fragment."""
    return {
        "region": {"type": "str", "aliases": ["region_id", "alicloud_region"]},
        "access_key_id": {"type": "str", "aliases": ["alicloud_access_key", "access_key"], "no_log": False},
        "access_key_secret": {"type": "str", "aliases": ["alicloud_secret_key", "secret_key"], "no_log": True},
        "security_token": {"type": "str", "aliases": ["alicloud_security_token"], "no_log": True},
        "profile": {"type": "str"},
        "endpoint": {"type": "str"},
        "validate_certs": {"type": "bool", "default": True},
        "timeout": {"type": "float", "default": 30.0},
        "retries": {"type": "int", "default": 6},
        "retry_max_delay": {"type": "float", "default": 20.0},
        "quota_scale": {"type": "float", "default": 1.0},
    }


def check_name(option: str, value: str) -> None:
    """Apply the service's naming rule for flows and executions."""
    if not value or len(value) > NAME_MAX_LENGTH or not NAME_PATTERN.fullmatch(value):
        raise ConfigurationError(option, "must be {0}; got {1!r}".format(NAME_RULE, value))


def check_length(option: str, value: t.Optional[str], minimum: int, maximum: int) -> None:
    if value is not None and not minimum <= len(value) <= maximum:
        raise ConfigurationError(
            option, "must be {0} to {1} characters long; got {2} characters".format(minimum, maximum, len(value))
        )


def check_positive(option: str, value: t.Optional[float], allow_zero: bool = False) -> None:
    if value is None:
        return
    if value < 0 or (value == 0 and not allow_zero):
        rule = "zero or greater" if allow_zero else "greater than zero"
        raise ConfigurationError(option, "must be {0}; got {1}".format(rule, value))


def json_object_text(option: str, value: t.Any) -> t.Optional[str]:
    """Return the JSON text the service expects for an object given as a dict or as a JSON string."""
    if value is None:
        return None
    if isinstance(value, dict):
        try:
            return json.dumps(value, separators=(",", ":"), sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(option, "cannot be serialised as JSON: {0}".format(exc))
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise ConfigurationError(option, "must be a dict or a string holding a JSON object; the string is not JSON: {0}".format(exc))
        if not isinstance(parsed, dict):
            raise ConfigurationError(
                option, "must be a dict or a string holding a JSON object; the string holds a JSON {0}".format(type(parsed).__name__)
            )
        return value
    raise ConfigurationError(option, "must be a dict or a string holding a JSON object; got a {0}".format(type(value).__name__))


def rfc3339_time(option: str, value: t.Optional[str]) -> t.Optional[str]:
    """Normalise a time option to the UTC RFC 3339 form the service uses (with milliseconds)."""
    if value is None:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(option, "must be an RFC 3339 time such as 2024-05-01T12:00:00Z; got {0!r}".format(value))
    if moment.tzinfo is None:
        raise ConfigurationError(option, "must carry a time zone (for example a trailing Z for UTC); got {0!r}".format(value))
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        raise ConfigurationError(option, "is out of the range of representable times; got {0!r}".format(value))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "{0:03d}Z".format(moment.microsecond // 1000)


class CloudFlowModule(AnsibleModule):
    """An AnsibleModule with the shared connection options and the collection's way of failing."""

    def __init__(self, argument_spec: dict[str, dict[str, t.Any]], **kwargs: t.Any) -> None:
        spec = connection_argument_spec()
        spec.update(argument_spec)
        super().__init__(argument_spec=spec, **kwargs)
        if httpx is None:
            self.fail_json(msg=missing_required_lib("httpx"), exception=HTTPX_IMPORT_ERROR)

    def fail_on_error(self, error: CloudFlowError, subject: t.Optional[str] = None, **result: t.Any) -> t.NoReturn:
        """Fail with the error's complete message (Code, Message, RequestId and hint for service errors)."""
        message = str(error)
        if isinstance(error, ApiError):
            result.setdefault("error", error.as_dict())
            if subject:
                message = "{0}: {1}".format(subject, message)
        self.fail_json(msg=message, **result)

    def fail_unexpected(self, error: Exception) -> t.NoReturn:
        """Last resort: a short message instead of a traceback (which still shows at -vvv)."""
        self.fail_json(msg="Unexpected error ({0}): {1}".format(type(error).__name__, error), exception=traceback.format_exc())

    def check_connection_options(self) -> None:
        """Validate the connection options locally, before any request."""
        check_positive("timeout", self.params["timeout"])
        check_positive("retries", self.params["retries"], allow_zero=True)
        check_positive("retry_max_delay", self.params["retry_max_delay"], allow_zero=True)
        check_positive("quota_scale", self.params["quota_scale"], allow_zero=True)
        if 0 < self.params["quota_scale"] < MIN_QUOTA_SCALE:
            raise ConfigurationError("quota_scale", "must be 0 (no pacing) or at least {0}; got {1}".format(MIN_QUOTA_SCALE, self.params["quota_scale"]))
        if self.params["access_key_secret"] and not self.params["access_key_id"]:
            raise ConfigurationError("access_key_id", "is required when access_key_secret is set")
        if self.params["access_key_id"] and not self.params["access_key_secret"]:
            raise ConfigurationError("access_key_secret", "is required when access_key_id is set")
        if self.params["security_token"] and not self.params["access_key_id"]:
            raise ConfigurationError("access_key_id", "is required when security_token is set (an STS token comes with its own key pair)")
        endpoint = self.params["endpoint"] or os.environ.get(ENDPOINT_ENV)
        if endpoint:
            validate_endpoint(endpoint)

    def client(self) -> CloudFlowClient:
        """Resolve credentials and endpoint and return a ready client. Raises CloudFlowError."""
        options = {name: self.params[name] for name in ("access_key_id", "access_key_secret", "security_token", "profile", "region")}
        credentials, region = resolve_credentials(options)
        # Secrets from the environment, a profile, STS or the metadata service are masked like no_log options.
        self.no_log_values.update(secret for secret in (credentials.access_key_secret, credentials.security_token) if secret)
        endpoint = self.params["endpoint"] or os.environ.get(ENDPOINT_ENV)
        if endpoint:
            endpoint = validate_endpoint(endpoint)
        elif region:
            endpoint = endpoint_for_region(region)
        else:
            raise ConfigurationError(
                "region",
                "is required when endpoint is not set (or set ALIBABA_CLOUD_REGION_ID, ALICLOUD_REGION, or {0})".format(ENDPOINT_ENV),
            )
        return CloudFlowClient(
            endpoint,
            credentials,
            user_agent=USER_AGENT,
            timeout=self.params["timeout"],
            validate_certs=self.params["validate_certs"],
            retry=RetryPolicy(max_retries=self.params["retries"], max_delay=self.params["retry_max_delay"]),
            quota_scale=self.params["quota_scale"],
        )
