# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The credential chain: the key pair of the options or the environment (resolved in _connection), the aliyun CLI
profile, the ECS instance RAM role.

The first source that holds anything wins; a source that holds half a key pair is an error
rather than a reason to look further, so a typo never silently selects other credentials.
"""

from __future__ import annotations

import json
import os
import typing as t
from dataclasses import dataclass

from ansible_collections.seed.cloudflow.plugins.module_utils._client import RpcClient
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, ConfigurationError, CredentialsError, TransportError

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._connection import Connection
    from ansible_collections.seed.cloudflow.plugins.module_utils._transport import Transport

DEFAULT_METADATA_URL = "http://100.100.100.200"
DEFAULT_STS_ENDPOINT = "https://sts.aliyuncs.com"
STS_API_VERSION = "2015-04-01"
DEFAULT_ROLE_SESSION_NAME = "ansible-seed-cloudflow"
DEFAULT_ROLE_SESSION_SECONDS = 3600
METADATA_TOKEN_TTL_SECONDS = "21600"
# Off ECS nothing answers on the metadata address: connect for at most this long (never longer than timeout).
METADATA_CONNECT_TIMEOUT = 1.0
METADATA_CREDENTIALS_PATH = "/latest/meta-data/ram/security-credentials/"

# (id, secret, token) variable names, newest family first.
ENV_KEY_FAMILIES = (
    ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"),
    ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN"),
)
ENV_PROFILE_NAMES = ("ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE")
ENV_REGION_NAMES = ("ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION")
ENV_METADATA_DISABLED = "ALIBABA_CLOUD_ECS_METADATA_DISABLED"
ENV_METADATA_ROLE = "ALIBABA_CLOUD_ECS_METADATA"
ENV_IMDSV1_DISABLED = "ALIBABA_CLOUD_IMDSV1_DISABLED"

HOW_TO_FIX = (
    "Set the access_key_id and access_key_secret options (plus security_token for STS credentials), "
    "or the environment variables ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, "
    "or configure a profile with 'aliyun configure', or run on an ECS instance with a RAM role attached."
)


@dataclass(frozen=True)
class Credentials:
    """An access key pair, optionally with an STS token, and where it came from."""

    access_key_id: str
    access_key_secret: str
    security_token: t.Optional[str] = None
    source: str = ""

    def __repr__(self) -> str:
        # Keeps the secret and token out of tracebacks and debug output.
        return "Credentials(access_key_id={0!r}, access_key_secret='***', security_token={1}, source={2!r})".format(
            self.access_key_id, "'***'" if self.security_token else "None", self.source
        )


class _SourceUnavailable(Exception):
    """An implicit source (the ECS metadata service) has nothing for us; the chain goes on."""


def _given(value: t.Optional[str]) -> t.Optional[str]:
    """Empty or blank strings count as not given (an exported but empty variable is common)."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _is_true(value: t.Optional[str]) -> bool:
    return (value or "").strip().lower() == "true"


def _pair_from(
    key_id: t.Optional[str], secret: t.Optional[str], token: t.Optional[str], names: t.Tuple[str, str, str], source: str
) -> t.Optional[Credentials]:
    """Credentials from one level of the chain, None when it has no key at all, an error when half a pair."""
    key_id, secret, token = _given(key_id), _given(secret), _given(token)
    if key_id and secret:
        return Credentials(key_id, secret, token, source)
    if key_id:
        raise ConfigurationError(names[1], "is required together with {0} ({1}) but was not set.".format(names[0], source))
    if secret:
        raise ConfigurationError(names[0], "is required together with {0} ({1}) but was not set.".format(names[1], source))
    if token:
        raise ConfigurationError(
            names[2], "was set without {0} and {1} ({2}); an STS token needs its key pair.".format(names[0], names[1], source)
        )
    return None


def keys_from_environment(environ: t.Mapping[str, str]) -> t.Optional[Credentials]:
    """The key pair of the first variable family that holds one; half a pair fails, naming the variable."""
    for names in ENV_KEY_FAMILIES:
        found = _pair_from(
            environ.get(names[0]), environ.get(names[1]), environ.get(names[2]), names, "environment variables"
        )
        if found:
            return Credentials(found.access_key_id, found.access_key_secret, found.security_token, "environment ({0})".format(names[0]))
    return None


def first_env(environ: t.Mapping[str, str], names: t.Iterable[str]) -> t.Optional[str]:
    """The first of the variables that holds a non-blank value."""
    for name in names:
        value = _given(environ.get(name))
        if value:
            return value
    return None


def default_config_path() -> str:
    return os.path.join(os.path.expanduser("~"), ".aliyun", "config.json")


class _ProfileFile:
    """The aliyun CLI configuration file and the profile the chain selects in it."""

    def __init__(self, path: str, requested: t.Optional[str]) -> None:
        self.path = path
        self.requested = requested  # named by the profile option or environment
        self.document = None  # type: t.Optional[t.Dict[str, t.Any]]

    def exists(self) -> bool:
        return os.path.isfile(self.path)

    def load(self) -> t.Dict[str, t.Any]:
        if self.document is None:
            try:
                with open(self.path, "r", encoding="utf-8") as config_file:
                    document = json.load(config_file)
            except (OSError, ValueError) as error:
                raise CredentialsError("cannot read the aliyun CLI profile file {0}: {1}".format(self.path, error))
            if not isinstance(document, dict):
                raise CredentialsError("the aliyun CLI profile file {0} does not hold a JSON object.".format(self.path))
            self.document = document
        return self.document

    def selected_name(self) -> str:
        return self.requested or _given(self.load().get("current")) or "default"

    def profile(self) -> t.Optional[t.Dict[str, t.Any]]:
        """The selected profile; None only when nothing named one and 'default' is absent."""
        name = self.selected_name()
        profiles = self.load().get("profiles") or []
        for candidate in profiles:
            if isinstance(candidate, dict) and candidate.get("name") == name:
                return candidate
        if self.requested or _given(self.load().get("current")):
            known = ", ".join(str(candidate.get("name")) for candidate in profiles if isinstance(candidate, dict)) or "none"
            raise CredentialsError(
                "profile '{0}' was not found in the aliyun CLI profile file {1} (profiles there: {2}). "
                "Set the profile option or ALIBABA_CLOUD_PROFILE to one of them.".format(name, self.path, known)
            )
        return None

    def region(self) -> t.Optional[str]:
        """The selected profile's region_id; any problem with the file just means no region."""
        try:
            if not self.exists():
                return None
            profile = self.profile()
        except CredentialsError:
            return None
        return _given(profile.get("region_id")) if profile else None


def _profile_field(profile: t.Mapping[str, t.Any], field: str) -> t.Optional[str]:
    value = profile.get(field)
    return _given(str(value)) if value is not None else None


def _credentials_from_profile(
    profile_file: _ProfileFile, metadata_url: str, sts_endpoint: t.Optional[str], http: Transport, environ: t.Mapping[str, str]
) -> t.Optional[Credentials]:
    if not profile_file.exists():
        if profile_file.requested:
            raise CredentialsError(
                "profile '{0}' was requested but the aliyun CLI profile file {1} does not exist.".format(profile_file.requested, profile_file.path)
            )
        return None
    profile = profile_file.profile()
    if profile is None:
        return None
    name = profile_file.selected_name()
    where = "profile '{0}' in {1}".format(name, profile_file.path)
    mode = _profile_field(profile, "mode") or "AK"
    if mode in ("AK", "StsToken"):
        return _profile_key_pair(profile, where, with_token=mode == "StsToken")
    if mode == "RamRoleArn":
        source_keys = _profile_key_pair(profile, where, with_token=bool(_profile_field(profile, "sts_token")))
        return _assume_role(profile, source_keys, where, sts_endpoint or DEFAULT_STS_ENDPOINT, http)
    if mode == "EcsRamRole":
        role_name = _profile_field(profile, "ram_role_name")
        try:
            return _credentials_from_metadata(metadata_url, role_name, http, environ, "{0} (EcsRamRole)".format(where))
        except _SourceUnavailable as reason:
            raise CredentialsError("{0}: mode EcsRamRole could not get credentials from the ECS metadata service: {1}".format(where, reason))
    raise CredentialsError(
        "{0} uses mode '{1}', which this collection does not support; use AK, StsToken, RamRoleArn or EcsRamRole.".format(where, mode)
    )


def _profile_key_pair(profile: t.Mapping[str, t.Any], where: str, *, with_token: bool) -> Credentials:
    key_id = _profile_field(profile, "access_key_id")
    secret = _profile_field(profile, "access_key_secret")
    token = _profile_field(profile, "sts_token")
    if not key_id or not secret:
        missing = "access_key_id" if not key_id else "access_key_secret"
        raise ConfigurationError("profile", "{0} has no {1}; run 'aliyun configure' again or fix the file.".format(where, missing))
    if with_token and not token:
        raise ConfigurationError("profile", "{0} uses mode StsToken but has no sts_token.".format(where))
    return Credentials(key_id, secret, token if with_token else None, where)


def _assume_role(
    profile: t.Mapping[str, t.Any], source_keys: Credentials, where: str, sts_endpoint: str, http: Transport
) -> Credentials:
    """RamRoleArn mode: trade the profile's key pair for role credentials with STS AssumeRole (RPC V1, GET).

    The request is signed and retried by the same RpcClient code as the fnf API, over the module's Transport.
    """
    role_arn = _profile_field(profile, "ram_role_arn")
    if not role_arn:
        raise ConfigurationError("profile", "{0} uses mode RamRoleArn but has no ram_role_arn.".format(where))
    duration = _profile_field(profile, "expired_seconds")
    action_params = {
        "RoleArn": role_arn,
        "RoleSessionName": _profile_field(profile, "ram_session_name") or DEFAULT_ROLE_SESSION_NAME,
        "DurationSeconds": duration if duration and duration != "0" else str(DEFAULT_ROLE_SESSION_SECONDS),
    }
    sts = RpcClient(sts_endpoint, source_keys, http, version=STS_API_VERSION, method="GET")
    try:
        body = sts.call("AssumeRole", action_params)
    except ApiError as error:
        # The client already removed the source secret and token from the message (a gateway may echo the string to sign).
        raise CredentialsError(
            "{0}: STS AssumeRole for {1} failed: {2} (HTTP {3}): {4} RequestId: {5}".format(
                where, role_arn, error.code or "InvalidResponse", error.http_status, error.message or "", error.request_id or "-"
            )
        )
    except TransportError as error:
        raise CredentialsError("{0}: STS {1}".format(where, error))
    role_keys = body.get("Credentials")
    if not isinstance(role_keys, dict) or not role_keys.get("AccessKeyId") or not role_keys.get("AccessKeySecret"):
        raise CredentialsError("{0}: STS AssumeRole for {1} answered without Credentials.".format(where, role_arn))
    return Credentials(
        str(role_keys["AccessKeyId"]), str(role_keys["AccessKeySecret"]), _given(role_keys.get("SecurityToken")), "{0} (RamRoleArn {1})".format(where, role_arn)
    )


def _json_object(response: t.Any) -> t.Dict[str, t.Any]:
    try:
        document = response.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _metadata_send(http: Transport, what: str, method: str, url: str, token: t.Optional[str] = None, **headers: str) -> t.Any:
    """One request to the metadata service over the module's Transport.

    Not retried: off ECS nothing answers on the metadata address, and every retry would add a connect timeout
    before the chain can say that it found nothing; on ECS the service is local to the host.
    """
    if token:
        headers["X-aliyun-ecs-metadata-token"] = token
    return http.send("ECS metadata " + what, method, url, headers=headers, connect_timeout=METADATA_CONNECT_TIMEOUT)


def _metadata_token(http: Transport, metadata_url: str, environ: t.Mapping[str, str]) -> t.Optional[str]:
    """Token-protected metadata access first; the plain form only when that is allowed."""
    try:
        response = _metadata_send(
            http, "token request", "PUT", metadata_url + "/latest/api/token",
            **{"X-aliyun-ecs-metadata-token-ttl-seconds": METADATA_TOKEN_TTL_SECONDS}
        )
        if response.status_code == 200 and response.text.strip():
            return response.text.strip()
        reason = "HTTP {0}".format(response.status_code)
    except TransportError as error:
        reason = str(error)
    if _is_true(environ.get(ENV_IMDSV1_DISABLED)):
        raise _SourceUnavailable(
            "the metadata token request failed ({0}) and {1} forbids the plain form".format(reason, ENV_IMDSV1_DISABLED)
        )
    return None


def _metadata_get(http: Transport, what: str, url: str, token: t.Optional[str]) -> t.Any:
    try:
        return _metadata_send(http, what, "GET", url, token)
    except TransportError as error:
        raise _SourceUnavailable(str(error))


def _credentials_from_metadata(
    metadata_url: str, role_name: t.Optional[str], http: Transport, environ: t.Mapping[str, str], source: str
) -> Credentials:
    """Role credentials of the ECS instance; raises _SourceUnavailable when the service has none."""
    base = metadata_url.rstrip("/")
    token = _metadata_token(http, base, environ)
    role_name = role_name or _given(environ.get(ENV_METADATA_ROLE))
    if not role_name:
        listing = _metadata_get(http, "role listing", base + METADATA_CREDENTIALS_PATH, token)
        lines = listing.text.split() if listing.status_code == 200 else []
        if not lines:
            raise _SourceUnavailable("no RAM role is attached to the instance (HTTP {0})".format(listing.status_code))
        role_name = lines[0]
    response = _metadata_get(http, "role credentials", base + METADATA_CREDENTIALS_PATH + role_name, token)
    body = _json_object(response)
    if response.status_code != 200 or body.get("Code") != "Success" or not body.get("AccessKeyId") or not body.get("AccessKeySecret"):
        raise _SourceUnavailable(
            "the credentials of RAM role '{0}' could not be read (HTTP {1}, Code {2})".format(role_name, response.status_code, body.get("Code") or "-")
        )
    return Credentials(str(body["AccessKeyId"]), str(body["AccessKeySecret"]), _given(body.get("SecurityToken")), "{0} role {1}".format(source, role_name))


def profile_region(profile: t.Optional[str], config_path: t.Optional[str] = None) -> t.Optional[str]:
    """The region_id of the selected profile in the aliyun CLI profile file; any problem with the file means none."""
    return _ProfileFile(config_path or default_config_path(), profile).region()


def resolve_credentials(
    connection: Connection,
    http: Transport,
    *,
    environ: t.Optional[t.Mapping[str, str]] = None,
    config_path: t.Optional[str] = None,
    metadata_url: str = DEFAULT_METADATA_URL,
    sts_endpoint: t.Optional[str] = None,
) -> Credentials:
    """The credentials of the first source in the chain that has them.

    The key pair of the options or of the environment is already in the connection (resolved once, with the rule
    that a profile named in the task beats keys in the environment). http is the module's Transport: STS and the
    metadata service are asked with its timeout, validate_certs, User-Agent and retries. environ is read for the
    metadata service's switches only.
    """
    if connection.keys is not None:
        return connection.keys
    if environ is None:
        environ = os.environ
    tried = ["module options access_key_id/access_key_secret",
             "environment variables " + ", ".join("{0}/{1}".format(names[0], names[1]) for names in ENV_KEY_FAMILIES)]
    profile_file = _ProfileFile(config_path or default_config_path(), connection.profile)
    tried.append("aliyun CLI profile file {0}{1}".format(profile_file.path, "" if profile_file.exists() else " (not present)"))
    found = _credentials_from_profile(profile_file, metadata_url, sts_endpoint, http, environ)
    if found:
        return found
    if _is_true(environ.get(ENV_METADATA_DISABLED)):
        tried.append("ECS instance RAM role (skipped: {0}=true)".format(ENV_METADATA_DISABLED))
    else:
        try:
            return _credentials_from_metadata(metadata_url, None, http, environ, "ECS instance RAM role")
        except _SourceUnavailable as reason:
            tried.append("ECS instance RAM role via {0} ({1})".format(metadata_url, reason))
    raise CredentialsError("no Alibaba Cloud credentials found. Tried: {0}. {1}".format("; ".join(tried), HOW_TO_FIX))
