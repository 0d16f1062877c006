# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The connection options every module shares, resolved and validated once, before any request.

The argument spec has no environment fallbacks: what the task (or module_defaults) sets is the option, and an
option left unset is filled here, late and in one place, from the environment (first non-blank variable wins) and,
for the region, from the aliyun CLI profile. So an explicit option always wins, and a profile named in the task
wins over keys in the environment. The result is a Connection that the client and the credential chain take as it
is, without checking it again.
"""

from __future__ import annotations

import os
import typing as t
from dataclasses import dataclass

from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import (
    ENV_PROFILE_NAMES,
    ENV_REGION_NAMES,
    Credentials,
    first_env,
    keys_from_environment,
    profile_region,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._endpoint import endpoint_for_region, validate_endpoint
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_positive
from ansible_collections.seed.cloudflow.plugins.module_utils._retry import RetryPolicy

ENDPOINT_ENV = "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT"
MIN_QUOTA_SCALE = 0.001


def argument_spec() -> dict[str, dict[str, t.Any]]:
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


# Declared to AnsibleModule, which checks them before the module runs.
REQUIRED_TOGETHER = [("access_key_id", "access_key_secret")]
REQUIRED_BY = {"security_token": "access_key_id"}


@dataclass(frozen=True)
class Connection:
    """Where and how the module's requests go, resolved once.

    keys are the key pair of the options, else of the environment (not when the task named a profile); None means
    the credential chain goes on to the profile file and the ECS instance's role. region is None when only an
    endpoint was given and no region is known.
    """

    endpoint: str
    region: t.Optional[str]
    keys: t.Optional[Credentials]
    profile: t.Optional[str]
    timeout: float
    validate_certs: bool
    retry: RetryPolicy
    quota_scale: float


def _given(params: t.Mapping[str, t.Any], option: str) -> t.Optional[str]:
    value = params.get(option)
    if value is None:
        return None
    return str(value).strip() or None


def resolve(params: t.Mapping[str, t.Any], environ: t.Optional[t.Mapping[str, str]] = None,
            config_path: t.Optional[str] = None) -> Connection:
    """The Connection for the module's parameters; raises ConfigurationError naming the option, before any request.

    Reads only the environment and the local profile file: a missing region fails before any credential source is
    asked (STS and the metadata service are network requests).
    """
    if environ is None:
        environ = os.environ
    check_positive("timeout", params["timeout"])
    check_positive("retries", params["retries"], allow_zero=True)
    check_positive("retry_max_delay", params["retry_max_delay"], allow_zero=True)
    check_positive("quota_scale", params["quota_scale"], allow_zero=True)
    if 0 < params["quota_scale"] < MIN_QUOTA_SCALE:
        raise ConfigurationError("quota_scale", "must be 0 (no pacing) or at least {0}; got {1}".format(MIN_QUOTA_SCALE, params["quota_scale"]))
    endpoint = None
    if _given(params, "endpoint") is not None:
        endpoint = validate_endpoint(params["endpoint"], "endpoint")
    elif first_env(environ, (ENDPOINT_ENV,)) is not None:
        endpoint = validate_endpoint(first_env(environ, (ENDPOINT_ENV,)) or "", ENDPOINT_ENV)
    profile = _given(params, "profile") or first_env(environ, ENV_PROFILE_NAMES)
    region = _given(params, "region") or first_env(environ, ENV_REGION_NAMES) or profile_region(profile, config_path)
    if endpoint is None:
        if not region:
            raise ConfigurationError(
                "region",
                "is required when endpoint is not set (or set {0}, or {1}, or a region_id in the aliyun CLI profile)".format(
                    ", ".join(ENV_REGION_NAMES), ENDPOINT_ENV),
            )
        endpoint = endpoint_for_region(region)
    # Both or neither are set (REQUIRED_TOGETHER); a blank value counts as unset, as an empty environment variable does.
    key_id, secret = _given(params, "access_key_id"), _given(params, "access_key_secret")
    if key_id and secret:
        keys = Credentials(key_id, secret, _given(params, "security_token"), "module options")  # type: t.Optional[Credentials]
    elif key_id or secret:
        blank = "access_key_secret" if key_id else "access_key_id"
        raise ConfigurationError(blank, "is empty while {0} is set".format("access_key_id" if key_id else "access_key_secret"))
    elif _given(params, "profile") is None:
        # A profile named in the task is an explicit choice, so it wins over keys that happen to be in the environment.
        keys = keys_from_environment(environ)
    else:
        keys = None
    return Connection(
        endpoint=endpoint,
        region=region,
        keys=keys,
        profile=profile,
        timeout=float(params["timeout"]),
        validate_certs=bool(params["validate_certs"]),
        retry=RetryPolicy(max_retries=params["retries"], max_delay=params["retry_max_delay"]),
        quota_scale=float(params["quota_scale"]),
    )
