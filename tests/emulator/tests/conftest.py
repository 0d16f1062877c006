# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures on top of the package's pytest plugin (`cloudflow_emulator`,
`cloudflow_emulator_control`); the package must be installed: pip install -e ./tests/emulator."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import Api  # noqa: E402

from cloudflow_emulator import EmulatorControl, EmulatorProcess  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("cloudflow_emulator"):
        raise pytest.UsageError(
            "the cloudflow-emulator package is not installed in this Python (its pytest plugin "
            "provides the fixtures): pip install -e ./tests/emulator")


def start_emulator(*args: str) -> EmulatorProcess:
    """A separate emulator (`--port 0 ARGS`) for tests of the command line itself."""
    return EmulatorProcess(args=args, startup_timeout=30).start()


@pytest.fixture(scope="session")
def emulator_url(cloudflow_emulator: EmulatorProcess) -> Iterator[str]:
    yield cloudflow_emulator.url
    log = cloudflow_emulator.log_text()
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-4000:]


@pytest.fixture()
def client(emulator_url: str, cloudflow_emulator_control: EmulatorControl
           ) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_url, timeout=30) as c:
        yield c


@pytest.fixture()
def api(client: httpx.Client) -> Api:
    return Api(client)


@pytest.fixture()
def control(client: httpx.Client, cloudflow_emulator_control: EmulatorControl
            ) -> EmulatorControl:
    return cloudflow_emulator_control


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0,
               interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
