# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading RFC 3339 times, for the modules' time options and the latest_fire_time filter alike."""

from __future__ import annotations

from datetime import datetime


def parse_rfc3339(text: str) -> datetime:
    """The moment an RFC 3339 time names; naive when the text carries no offset (callers refuse that).

    A trailing Z means UTC (datetime.fromisoformat reads it only from Python 3.11 on). Raises
    ValueError when the text is not such a time.
    """
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)
