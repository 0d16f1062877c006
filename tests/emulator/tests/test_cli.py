# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line: URL announcement, options, clean shutdown, optional TLS."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import start_emulator
from helpers import Api


def test_announces_url_quickly_and_stops_on_sigterm(tmp_path: Path) -> None:
    url_file = tmp_path / "url.txt"
    t0 = time.monotonic()
    emulator = start_emulator("--url-file", str(url_file))
    url = emulator.url
    try:
        assert time.monotonic() - t0 < 5  # includes interpreter start-up and imports
        assert url.startswith("http://127.0.0.1:")
        assert url_file.read_text().strip() == url
        # it already accepts connections when the line is printed
        assert httpx.get(url + "/_emulator/config").status_code == 200
        assert emulator.log_text() == "CLOUDFLOW_EMULATOR_URL=%s\n" % url
    finally:
        assert emulator.stop() == 0


def test_sigterm_wakes_long_polls(tmp_path: Path) -> None:
    emulator = start_emulator()
    url, proc = emulator.url, emulator.process
    assert proc is not None
    try:
        httpx.post(url + "/_emulator/executions", json={"flow_name": "f1", "name": "e1"})
        result = {}

        def poll() -> None:
            try:
                with httpx.Client(base_url=url) as c:
                    result["resp"] = Api(c).request(
                        "DescribeExecution",
                        {"FlowName": "f1", "ExecutionName": "e1", "WaitTimeSeconds": 60},
                        timeout=70)
            except httpx.HTTPError as exc:  # pragma: no cover - reported below
                result["error"] = exc

        thread = threading.Thread(target=poll)
        thread.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert time.monotonic() - t0 < 10  # did not wait for the 60 s long-poll
        thread.join(10)
        assert result.get("resp") is not None, result
        assert result["resp"].json()["Status"] == "Running"
    finally:
        emulator.stop()


def test_sigint_exits_cleanly() -> None:
    emulator = start_emulator()
    assert emulator.process is not None
    emulator.process.send_signal(signal.SIGINT)
    assert emulator.process.wait(timeout=10) == 0
    emulator.stop()


def test_options_become_startup_settings(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"stop_delay_seconds": 2.5, "race": True,
                                  "faults": {"seed": 3}}))
    emulator = start_emulator("--config", str(config), "--no-quotas", "--no-verify-time",
                              "--quota-scale", "3", "--log-level", "error")
    url = emulator.url
    try:
        cfg = httpx.get(url + "/_emulator/config").json()
        assert cfg["stop_delay_seconds"] == 2.5 and cfg["race"] is True
        assert cfg["faults"]["seed"] == 3
        assert cfg["quotas_enabled"] is False and cfg["quota_scale"] == 3
        assert cfg["check_timestamp"] is False and cfg["check_nonce"] is False
        httpx.post(url + "/_emulator/config", json={"race": False})
        httpx.post(url + "/_emulator/reset")  # back to the startup settings
        assert httpx.get(url + "/_emulator/config").json() == cfg
        with httpx.Client(base_url=url) as c:
            api = Api(c)
            fixed = {"Timestamp": "2020-01-01T00:00:00Z", "SignatureNonce": "same"}
            for _attempt in range(15):
                assert api.request("ListFlows", common=fixed).status_code == 200
    finally:
        assert emulator.stop() == 0


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cloudflow_emulator", *args],
                          capture_output=True, text=True, timeout=20, check=False)


def test_bad_options_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"no_such_setting": 1}))
    result = _run("--port", "0", "--config", str(bad))
    assert result.returncode == 2 and "no_such_setting" in result.stderr
    assert "CLOUDFLOW_EMULATOR_URL" not in result.stdout
    result = _run("--port", "0", "--tls-cert", "x.pem")
    assert result.returncode == 2
    result = _run("--port", "0", "--log-level", "loud")
    assert result.returncode == 2


def test_port_in_use_fails() -> None:
    emulator = start_emulator()
    try:
        port = emulator.url.rsplit(":", 1)[1]
        result = _run("--port", port)
        assert result.returncode != 0 and "CLOUDFLOW_EMULATOR_URL" not in result.stdout
    finally:
        emulator.stop()


def test_tls(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    emulator = start_emulator("--tls-cert", str(cert), "--tls-key", str(key))
    url = emulator.url
    try:
        assert url.startswith("https://127.0.0.1:")
        with httpx.Client(base_url=url, verify=str(cert)) as c:
            c.post("/_emulator/flows", json={"name": "f1"})
            body = Api(c).call("DescribeFlow", {"Name": "f1"})
            assert body["Name"] == "f1"
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/_emulator/config")  # untrusted certificate
    finally:
        assert emulator.stop() == 0
