# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Local emulator of the Alibaba Cloud CloudFlow (fnf 2019-03-15) RPC API, for tests.

`EmulatorProcess` runs it in a child process, `EmulatorControl` is the one client of its control
surface, `loopback_environment` the environment of anything that may talk only to it, and
`cloudflow_emulator.playbooks.PlaybookRunner` runs playbooks against it (the reliability suite
and the bench). The server itself (`create_app`, Starlette) is only imported when asked for.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .control import EmulatorControl, EmulatorControlError
from .environment import loopback_environment
from .process import EmulatorProcess, EmulatorStartError
from .settings import (DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_KEYS,
                       DEFAULT_REGION, DEFAULT_SECURITY_TOKEN, DEFAULT_STS_ACCESS_KEY_ID,
                       DEFAULT_STS_ACCESS_KEY_SECRET, DEFAULT_STS_TOKENS)

__version__ = "0.2.0"

__all__ = [
    "DEFAULT_ACCESS_KEY_ID", "DEFAULT_ACCESS_KEY_SECRET", "DEFAULT_KEYS", "DEFAULT_REGION",
    "DEFAULT_SECURITY_TOKEN", "DEFAULT_STS_ACCESS_KEY_ID", "DEFAULT_STS_ACCESS_KEY_SECRET",
    "DEFAULT_STS_TOKENS", "EmulatorControl", "EmulatorControlError", "EmulatorProcess",
    "EmulatorStartError", "create_app", "loopback_environment",
]


def create_app(initial_settings: Optional[Mapping[str, Any]] = None) -> Any:
    """The ASGI application (imports Starlette on first use)."""
    from .app import create_app as _create_app

    return _create_app(initial_settings)
