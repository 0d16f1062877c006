# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The installable package: metadata, console command, Python API, pytest plugin."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

import cloudflow_emulator
from cloudflow_emulator import (DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_KEYS,
                                DEFAULT_REGION, EmulatorControl, EmulatorControlError,
                                EmulatorProcess, EmulatorStartError)

EMULATOR_DIR = Path(__file__).resolve().parents[1]


def test_distribution_metadata() -> None:
    dist = metadata.distribution("cloudflow-emulator")
    assert dist.metadata["License-Expression"] == "GPL-3.0-or-later"
    requires = " ".join(dist.requires or [])
    for name in ("starlette", "uvicorn", "httpx"):
        assert name in requires
    points = {(ep.group, ep.name): ep.value for ep in dist.entry_points}
    assert points[("console_scripts", "cloudflow-emulator")] == "cloudflow_emulator.cli:main"
    assert points[("pytest11", "cloudflow_emulator")] == "cloudflow_emulator.pytest_plugin"
    assert dist.version == cloudflow_emulator.__version__


def test_every_file_has_the_spdx_header() -> None:
    # Tools' caches (.pytest_cache/README.md after any earlier run, .mypy_cache) are not ours.
    files = [p for p in EMULATOR_DIR.rglob("*") if p.suffix in (".py", ".toml", ".txt", ".md")
             and "egg-info" not in str(p) and "__pycache__" not in str(p)
             and not any(part.startswith(".") for part in p.relative_to(EMULATOR_DIR).parts)]
    assert len(files) > 15
    missing = [str(p.relative_to(EMULATOR_DIR)) for p in files
               if "SPDX-License-Identifier: GPL-3.0-or-later" not in p.read_text()[:600]
               or "Copyright" not in p.read_text()[:600]]
    assert missing == []


def test_console_command_announces_the_url(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("cloudflow-emulator")
    assert command.exists(), "pip install -e ./tests/emulator installs %s" % command
    proc = subprocess.Popen([str(command), "--port", "0"], stdout=subprocess.PIPE, text=True,
                            cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=""))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("CLOUDFLOW_EMULATOR_URL=http://127.0.0.1:"), line
        with EmulatorControl(line.strip().split("=", 1)[1]) as control:
            assert control.config()["keys"] == DEFAULT_KEYS
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_default_keys_are_the_emulators_keys(control: EmulatorControl) -> None:
    assert DEFAULT_KEYS[DEFAULT_ACCESS_KEY_ID] == DEFAULT_ACCESS_KEY_SECRET
    assert DEFAULT_REGION == "cn-hangzhou"
    assert control.config()["keys"] == DEFAULT_KEYS


def test_process_start_stop_log_and_env(tmp_path: Path) -> None:
    log_path = tmp_path / "emulator.log"
    emulator = EmulatorProcess(args=("--log-level", "info"), env={"CLOUDFLOW_TEST_MARK": "1"},
                               log_path=log_path)
    with pytest.raises(RuntimeError):
        emulator.url  # pylint: disable=pointless-statement
    emulator.start()
    try:
        assert os.getpgid(emulator.pid) == emulator.pid  # its own process group
        with open("/proc/%d/environ" % emulator.pid, "rb") as fh:
            assert b"CLOUDFLOW_TEST_MARK=1" in fh.read().split(b"\0")
        flow = emulator.control.create_flow("pkg_flow", run_seconds=5)
        assert flow["Name"] == "pkg_flow" and flow["run_seconds"] == 5
        seeded = emulator.control.seed_executions("pkg_flow", 3, name_prefix="p-")
        assert seeded["names"] == ["p-0000", "p-0001", "p-0002"]
        emulator.control.finish("pkg_flow", "p-0001", "Failed", error="E", cause="c")
        statuses = [e["Status"] for e in emulator.control.executions("pkg_flow")]
        assert statuses == ["Running", "Failed", "Running"]
        assert emulator.control.advance("pkg_flow", "p-0000")["Status"] == "Succeeded"
    finally:
        assert emulator.stop() == 0
    assert emulator.returncode == 0
    assert "CLOUDFLOW_EMULATOR_URL=" + emulator.url in log_path.read_text()
    assert "Started server process" in emulator.log_text()
    assert emulator.stop() == 0  # a second stop is harmless


def test_process_that_cannot_start_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"no_such_setting": 1}')
    with pytest.raises(EmulatorStartError) as info:
        EmulatorProcess(args=("--config", str(bad)), startup_timeout=20).start()
    assert "no_such_setting" in str(info.value) and "exited with status 2" in str(info.value)


def test_control_refusals_raise(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError) as info:
        control.finish("nope", "nope", "Succeeded")
    assert info.value.status == 404
    with pytest.raises(EmulatorControlError) as info:
        control.configure(no_such_setting=1)
    assert info.value.status == 400 and "no_such_setting" in info.value.message
    with pytest.raises(EmulatorControlError):
        control.execution("nope", "nope")


def test_control_seed_read_and_log(control: EmulatorControl, api) -> None:  # type: ignore
    control.seed_execution("f1", "e1", status="Starting", input={"a": 1})
    assert control.execution("f1", "e1")["Input"] == '{"a":1}'
    assert [f["Name"] for f in control.flows()] == ["f1"]
    api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "e1"})
    assert control.requests()["counts"] == {"DescribeExecution": 1}
    control.clear_requests()
    assert control.requests()["total"] == 0
    assert control.configure(race=True)["race"] is True
    control.reset()
    assert control.config()["race"] is False and control.flows() == []


def test_pytest_plugin_fixtures(tmp_path: Path) -> None:
    """A fresh pytest run gets both fixtures from the entry point alone (no conftest)."""
    (tmp_path / "test_uses_plugin.py").write_text(textwrap.dedent('''
        def test_one(cloudflow_emulator, cloudflow_emulator_control):
            assert cloudflow_emulator.url.startswith("http://127.0.0.1:")
            assert cloudflow_emulator_control.url == cloudflow_emulator.url
            cloudflow_emulator_control.seed_execution("f", "e")
            cloudflow_emulator_control.configure(race=True)

        def test_two_starts_clean(cloudflow_emulator_control):
            assert cloudflow_emulator_control.executions() == []
            assert cloudflow_emulator_control.config()["race"] is False
    '''))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(tmp_path)], cwd=str(tmp_path), capture_output=True, text=True,
                            timeout=120, check=False, env=dict(os.environ, PYTHONPATH=""))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
