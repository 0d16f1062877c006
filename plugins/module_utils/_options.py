# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Local checks of option values, each failing with a ConfigurationError that names the option and the rule."""

from __future__ import annotations

import json
import re
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
NAME_MAX_LENGTH = 128
NAME_RULE = "1-128 characters: letters, digits, '_' and '-', starting with a letter or '_'"


def check_name(option: str, value: str) -> None:
    """Apply the service's naming rule for flows, schedules and executions."""
    if not value or len(value) > NAME_MAX_LENGTH or not NAME_PATTERN.fullmatch(value):
        raise ConfigurationError(option, "must be {0}; got {1!r}".format(NAME_RULE, value))


def check_names(params: t.Mapping[str, t.Any], *options: str) -> None:
    """The naming rule for each of these options that the task set."""
    for option in options:
        if params.get(option) is not None:
            check_name(option, params[option])


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
