# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Times: reading RFC 3339 (the modules' time options, the latest_fire_time filter, records) and writing it."""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError


def parse_rfc3339(text: str) -> datetime:
    """The moment an RFC 3339 time names; naive when the text carries no offset (callers refuse that).

    A trailing Z means UTC (datetime.fromisoformat reads it only from Python 3.11 on). Raises
    ValueError when the text is not such a time.
    """
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


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


def aware_moment(text: t.Optional[str]) -> t.Optional[datetime]:
    """The moment of an RFC 3339 time with a zone, or None for no text, text that is no such time, or a naive time."""
    if not text:
        return None
    try:
        moment = parse_rfc3339(text)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def utc_text(moment: datetime) -> str:
    """A moment as the records and reports write it: UTC, whole seconds, a trailing Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
