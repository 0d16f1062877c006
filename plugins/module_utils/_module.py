# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module glue: the shared argument spec, local validation, client construction and failing."""

from __future__ import annotations

import json
import os
import re
import traceback
import typing as t
from datetime import timezone

from ansible.module_utils.basic import AnsibleFallbackNotFound, AnsibleModule, missing_required_lib

from ansible_collections.seed.cloudflow.plugins.module_utils import _http
from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import (
    ENV_KEY_FAMILIES,
    ENV_PROFILE_NAMES,
    ENV_REGION_NAMES,
    first_env,
    resolve_credentials,
    resolve_region,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, CloudFlowError, ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._http import (
    HTTPX_IMPORT_ERROR,
    CloudFlowClient,
    RetryPolicy,
    Transport,
    endpoint_for_region,
    httpx,
    validate_endpoint,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._time import parse_rfc3339

# Defined next to the Transport that sends it; read from here by the galaxy.yml consistency test.
COLLECTION_VERSION = _http.COLLECTION_VERSION
USER_AGENT = _http.USER_AGENT

ENDPOINT_ENV = "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT"
# Environment variables that fill each connection option the task leaves unset, first non-blank one wins.
OPTION_ENV = {
    "region": ENV_REGION_NAMES,
    "endpoint": (ENDPOINT_ENV,),
    "profile": ENV_PROFILE_NAMES,
    "access_key_id": tuple(family[0] for family in ENV_KEY_FAMILIES),
    "access_key_secret": tuple(family[1] for family in ENV_KEY_FAMILIES),
    "security_token": tuple(family[2] for family in ENV_KEY_FAMILIES),
}  # type: t.Dict[str, t.Tuple[str, ...]]
CREDENTIAL_OPTIONS = ("access_key_id", "access_key_secret", "security_token", "profile")

MIN_QUOTA_SCALE = 0.001
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
NAME_MAX_LENGTH = 128
NAME_RULE = "1-128 characters: letters, digits, '_' and '-', starting with a letter or '_'"


def env_fallback_nonblank(*names: str) -> str:
    """Like ansible's env_fallback, but an exported empty variable counts as unset and the next one is read."""
    value = first_env(os.environ, names)
    if value is None:
        raise AnsibleFallbackNotFound
    return value


def connection_argument_spec() -> dict[str, dict[str, t.Any]]:
    """The options every module shares; documented in the seed.cloudflow.connection doc fragment.

    The environment fallbacks live here and nowhere else in the module layer; the credential chain reads the
    key pairs from the environment itself only for keys the task did not set, family by family, so that an id
    from one family never pairs with a secret from the other.
    """
    return {
        "region": {"type": "str", "aliases": ["region_id", "alicloud_region"], "fallback": (env_fallback_nonblank, list(OPTION_ENV["region"]))},
        "access_key_id": {
            "type": "str", "aliases": ["alicloud_access_key", "access_key"], "no_log": False,
            "fallback": (env_fallback_nonblank, list(OPTION_ENV["access_key_id"])),
        },
        "access_key_secret": {
            "type": "str", "aliases": ["alicloud_secret_key", "secret_key"], "no_log": True,
            "fallback": (env_fallback_nonblank, list(OPTION_ENV["access_key_secret"])),
        },
        "security_token": {
            "type": "str", "aliases": ["alicloud_security_token"], "no_log": True,
            "fallback": (env_fallback_nonblank, list(OPTION_ENV["security_token"])),
        },
        "profile": {"type": "str", "fallback": (env_fallback_nonblank, list(OPTION_ENV["profile"]))},
        "endpoint": {"type": "str", "fallback": (env_fallback_nonblank, list(OPTION_ENV["endpoint"]))},
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
    raise ConfigurationError(option, "must be a dict or a string holding a JSON object; got {0}".format(type(value).__name__))


def rfc3339_time(option: str, value: t.Optional[str]) -> t.Optional[str]:
    """Normalise a time option to the UTC RFC 3339 form the service uses (with milliseconds)."""
    if value is None:
        return None
    try:
        moment = parse_rfc3339(value)
    except ValueError:
        raise ConfigurationError(option, "must be an RFC 3339 time such as 2024-05-01T12:00:00Z; got {0!r}".format(value))
    if moment.tzinfo is None:
        raise ConfigurationError(option, "must carry a time zone (for example a trailing Z for UTC); got {0!r}".format(value))
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        raise ConfigurationError(option, "is out of the range of representable times; got {0!r}".format(value))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "{0:03d}Z".format(moment.microsecond // 1000)


class Connection(t.NamedTuple):
    """Where the module's requests go, resolved once: the normalised endpoint and the region (None when only an endpoint was given)."""

    endpoint: str
    region: t.Optional[str]


class CloudFlowModule(AnsibleModule):
    """An AnsibleModule with the shared connection options and the collection's way of failing."""

    def __init__(self, argument_spec: dict[str, dict[str, t.Any]], **kwargs: t.Any) -> None:
        spec = connection_argument_spec()
        spec.update(argument_spec)
        self._given_names = frozenset()  # type: t.FrozenSet[str]
        self._endpoint = None  # type: t.Optional[str]
        self._connection = None  # type: t.Optional[Connection]
        super().__init__(argument_spec=spec, **kwargs)
        if httpx is None:
            self.fail_json(msg=missing_required_lib("httpx"), exception=HTTPX_IMPORT_ERROR)

    def _load_params(self) -> None:
        # The task's own arguments, before validation adds defaults and environment fallbacks.
        super()._load_params()
        self._given_names = frozenset(self.params)

    def is_explicit(self, option: str) -> bool:
        """Whether the task (or module_defaults) set the option, under its name or an alias, rather than the environment."""
        names = {option}
        names.update(self.argument_spec.get(option, {}).get("aliases") or ())
        return bool(names & self._given_names)

    def explicit_options(self, names: t.Iterable[str] = CREDENTIAL_OPTIONS) -> dict[str, t.Any]:
        """The values of the named options that the task set itself; environment-filled ones are left out."""
        return {name: self.params[name] for name in names if self.is_explicit(name)}

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
        # Only what the task set: a half pair in the environment is reported by the credential chain, naming the variable.
        given = self.explicit_options(("access_key_id", "access_key_secret", "security_token"))
        if given.get("access_key_secret") and not given.get("access_key_id"):
            raise ConfigurationError("access_key_id", "is required when access_key_secret is set")
        if given.get("access_key_id") and not given.get("access_key_secret"):
            raise ConfigurationError("access_key_secret", "is required when access_key_id is set")
        if given.get("security_token") and not given.get("access_key_id"):
            raise ConfigurationError("access_key_id", "is required when security_token is set (an STS token comes with its own key pair)")
        self._endpoint_option()

    def _endpoint_option(self) -> t.Optional[str]:
        """The endpoint option (or ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT through the spec), validated and normalised once."""
        if self._endpoint is None and self.params["endpoint"]:
            self._endpoint = validate_endpoint(self.params["endpoint"])
        return self._endpoint

    def connection(self) -> Connection:
        """The endpoint and region, before any credential source is asked: a missing region fails without a request."""
        if self._connection is None:
            endpoint = self._endpoint_option()
            # The region option and its environment variables, then the profile file's region_id (a local file).
            region = resolve_region({"region": self.params["region"], "profile": self.params["profile"]})
            if endpoint is None:
                if not region:
                    raise ConfigurationError(
                        "region",
                        "is required when endpoint is not set (or set {0}, or {1}, or a region_id in the aliyun CLI profile)".format(
                            ", ".join(ENV_REGION_NAMES), ENDPOINT_ENV
                        ),
                    )
                endpoint = endpoint_for_region(region)
            self._connection = Connection(endpoint, region)
        return self._connection

    def transport(self) -> Transport:
        """The one Transport of this module run, carrying its timeout, validate_certs, User-Agent and retries."""
        return Transport(
            user_agent=USER_AGENT,
            timeout=self.params["timeout"],
            validate_certs=self.params["validate_certs"],
            retry=RetryPolicy(max_retries=self.params["retries"], max_delay=self.params["retry_max_delay"]),
        )

    def client(self) -> CloudFlowClient:
        """Resolve endpoint, region and credentials and return a ready client. Raises CloudFlowError."""
        connection = self.connection()
        http = self.transport()
        try:
            # Only explicit options count as options: a profile named in the task beats keys in the environment.
            credentials, _region = resolve_credentials(self.explicit_options(), http=http)
        except BaseException:
            http.close()
            raise
        # Secrets from the environment, a profile, STS or the metadata service are masked like no_log options.
        self.no_log_values.update(secret for secret in (credentials.access_key_secret, credentials.security_token) if secret)
        return CloudFlowClient(connection.endpoint, credentials, quota_scale=self.params["quota_scale"], http=http)
