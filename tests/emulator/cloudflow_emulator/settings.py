# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator settings (docs/architecture.md, "Settings") and their validation."""
from __future__ import annotations

import copy
from typing import Any, Dict, Mapping

# The emulator's credentials: the one definition that the CLI, the Python API, the pytest
# plugin, the tests and the docs' examples rely on.
DEFAULT_ACCESS_KEY_ID = "LTAI5tFakeAccessKeyId01"
DEFAULT_ACCESS_KEY_SECRET = "FakeAccessKeySecret0123456789abcd"
DEFAULT_STS_ACCESS_KEY_ID = "STS.EmulatorKeyId"
DEFAULT_STS_ACCESS_KEY_SECRET = "EmulatorStsSecret"
DEFAULT_SECURITY_TOKEN = "EmulatorSecurityToken"
# The emulator ignores the region; clients still need one to build their requests.
DEFAULT_REGION = "cn-hangzhou"

DEFAULT_KEYS: Dict[str, str] = {
    DEFAULT_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_STS_ACCESS_KEY_ID: DEFAULT_STS_ACCESS_KEY_SECRET,
}
DEFAULT_STS_TOKENS: Dict[str, Dict[str, Any]] = {
    DEFAULT_SECURITY_TOKEN: {"access_key_id": DEFAULT_STS_ACCESS_KEY_ID, "expires_at": None},
}
FAULT_KEYS = ("latency_ms", "error_500_rate", "error_429_rate", "error_409_rate", "drop_rate",
              "seed", "actions")
DEFAULT_FAULTS: Dict[str, Any] = {
    "latency_ms": None,
    "error_500_rate": 0.0,
    "error_429_rate": 0.0,
    "error_409_rate": 0.0,
    "drop_rate": 0.0,
    "seed": None,
    "actions": None,  # None = faults apply to every action
}

DEFAULTS: Dict[str, Any] = {
    "verify_signature": True,
    "check_timestamp": True,
    "max_skew_seconds": 900,
    "check_nonce": True,
    "keys": DEFAULT_KEYS,
    "sts_tokens": DEFAULT_STS_TOKENS,
    "quotas_enabled": True,
    "quota_scale": 1.0,
    "stop_delay_seconds": 0.0,
    "starting_seconds": 0.0,
    "race": False,
    "faults": DEFAULT_FAULTS,
    "clock_offset_seconds": 0.0,
    "delete_delay_seconds": 0.5,
    "schedule_time_scale": 0.0,
    # Weighted alias routing: the seed of its random generator (null = unpredictable). The
    # same seed and the same sequence of StartExecution calls through aliases pick the same
    # versions; posting the setting again (even unchanged) restarts the sequence.
    "routing_seed": None,
    # Limits the reference leaves open (README.md, "Versions and aliases"); beyond them
    # PublishFlowVersion / CreateFlowAlias answer 400 LimitExceeded.
    "max_versions_per_flow": 1000,
    "max_aliases_per_flow": 100,
}

BOOL_KEYS = ("verify_signature", "check_timestamp", "check_nonce", "quotas_enabled", "race")
NUMBER_KEYS = ("max_skew_seconds", "quota_scale", "stop_delay_seconds", "starting_seconds",
               "delete_delay_seconds")
LIMIT_KEYS = ("max_versions_per_flow", "max_aliases_per_flow")


class SettingsError(ValueError):
    pass


def defaults() -> Dict[str, Any]:
    return copy.deepcopy(DEFAULTS)


def _number(name: str, value: Any, minimum: float = 0.0, maximum: float = float("inf")) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError("%s must be a number" % name)
    if not minimum <= value <= maximum:
        raise SettingsError("%s must be in %s..%s" % (name, minimum, maximum))
    return float(value)


def _seed(name: str, value: Any) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, str))):
        raise SettingsError("%s must be an integer, a string or null" % name)
    return value


def _faults(current: Mapping[str, Any], update: Any) -> Dict[str, Any]:
    if update is None:
        return copy.deepcopy(DEFAULT_FAULTS)
    if not isinstance(update, dict):
        raise SettingsError("faults must be an object or null")
    out = dict(current)
    for key, value in update.items():
        if key not in FAULT_KEYS:
            raise SettingsError("unknown fault %r" % key)
        if key == "latency_ms":
            if value is None:
                out[key] = None
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = [value, value]
            if (not isinstance(value, list) or len(value) != 2
                    or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)
                    or value[0] < 0 or value[1] < value[0]):
                raise SettingsError("latency_ms must be [min, max] with 0 <= min <= max")
            out[key] = [float(value[0]), float(value[1])]
        elif key == "actions":
            if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
                raise SettingsError("actions must be a list of action names or null")
            out[key] = list(value) if value is not None else None
        elif key == "seed":
            out[key] = _seed(key, value)
        else:
            out[key] = _number(key, value, 0.0, 1.0)
    return out


def merge(current: Mapping[str, Any], update: Any) -> Dict[str, Any]:
    """Return current merged with update (top level; `faults` merged key by key, null = all off)."""
    if not isinstance(update, dict):
        raise SettingsError("settings must be a JSON object")
    out = copy.deepcopy(dict(current))
    for key, value in update.items():
        if key not in DEFAULTS:
            raise SettingsError("unknown setting %r" % key)
        if key in BOOL_KEYS:
            if not isinstance(value, bool):
                raise SettingsError("%s must be true or false" % key)
            out[key] = value
        elif key in NUMBER_KEYS:
            out[key] = _number(key, value)
            if key == "max_skew_seconds" and out[key] <= 0:
                raise SettingsError("max_skew_seconds must be > 0")
            if key == "quota_scale" and out[key] <= 0:
                raise SettingsError("quota_scale must be > 0")
        elif key in LIMIT_KEYS:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100000:
                raise SettingsError("%s must be an integer in 1..100000" % key)
            out[key] = value
        elif key == "routing_seed":
            out[key] = _seed(key, value)
        elif key == "schedule_time_scale":
            # 0 = schedules fire only when told (POST /_emulator/schedules/fire); N > 0 = they
            # fire on their own with emulated time running N times faster than real time.
            out[key] = _number(key, value, 0.0, 1e7)
        elif key == "clock_offset_seconds":
            # Shifts the emulator's clock (either way) so that tests can provoke RequestTimeTooSkewed.
            out[key] = _number(key, value, -1e9, 1e9)
        elif key == "keys":
            if not isinstance(value, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise SettingsError("keys must map access key ids to secrets")
            out[key] = dict(value)
        elif key == "sts_tokens":
            if not isinstance(value, dict):
                raise SettingsError("sts_tokens must be an object")
            tokens = {}
            for token, entry in value.items():
                if (not isinstance(entry, dict) or not isinstance(entry.get("access_key_id"), str)
                        or not isinstance(entry.get("expires_at"), (str, type(None)))):
                    raise SettingsError(
                        "sts_tokens[%r] must be {access_key_id, expires_at}" % token)
                tokens[token] = {"access_key_id": entry["access_key_id"],
                                 "expires_at": entry.get("expires_at")}
            out[key] = tokens
        elif key == "faults":
            out[key] = _faults(out.get("faults") or DEFAULT_FAULTS, value)
    return out
