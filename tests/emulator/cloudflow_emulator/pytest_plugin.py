# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest plugin (entry point `pytest11`): the fixtures `cloudflow_emulator` and
`cloudflow_emulator_control`.

Loaded into every pytest run of an environment that has the package installed, so it imports
nothing heavy until a test asks for a fixture.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from .control import EmulatorControl
    from .process import EmulatorProcess


@pytest.fixture(scope="session")
def cloudflow_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator["EmulatorProcess"]:
    """One emulator (`--port 0`) for the whole session; its log is in the session's tmp dir."""
    from .process import EmulatorProcess

    log_path = tmp_path_factory.mktemp("cloudflow-emulator") / "emulator.log"
    emulator = EmulatorProcess(port=0, log_path=log_path)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture()
def cloudflow_emulator_control(cloudflow_emulator: "EmulatorProcess") -> "EmulatorControl":
    """The session emulator's EmulatorControl, reset (state, log, settings) before the test."""
    control = cloudflow_emulator.control
    control.reset()
    return control
