from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import Api  # noqa: E402

EMULATOR_DIR = Path(__file__).resolve().parents[1]


def start_emulator(*args: str, stderr_path: "str | None" = None
                   ) -> "tuple[subprocess.Popen, str]":
    """Start `python -m cloudflow_emulator --port 0 ARGS`; return (process, url).
    stderr goes to a file (a pipe nobody reads could fill up and block the server)."""
    if stderr_path is None:
        fd, stderr_path = tempfile.mkstemp(prefix="cloudflow-emulator-", suffix=".log")
        os.close(fd)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(EMULATOR_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudflow_emulator", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=open(stderr_path, "w"), text=True, env=env,
    )
    proc.stderr_path = stderr_path  # type: ignore[attr-defined]
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("CLOUDFLOW_EMULATOR_URL="):
        proc.kill()
        proc.wait(5)
        raise RuntimeError("emulator did not start: %r %s" % (
            line, Path(stderr_path).read_text(errors="replace")))
    return proc, line.strip().split("=", 1)[1]


def stop_emulator(proc: subprocess.Popen) -> int:
    proc.terminate()
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    proc, url = start_emulator()
    yield url
    assert stop_emulator(proc) == 0
    log = Path(proc.stderr_path).read_text(errors="replace")  # type: ignore[attr-defined]
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-4000:]


@pytest.fixture()
def client(emulator_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_url, timeout=30) as c:
        r = c.post("/_emulator/reset")
        assert r.status_code == 200
        yield c


@pytest.fixture()
def api(client: httpx.Client) -> Api:
    return Api(client)


@pytest.fixture()
def control(client: httpx.Client):  # type: ignore[no-untyped-def]
    class Control:
        def post(self, path: str, payload: object = None) -> dict:
            r = client.post("/_emulator" + path, json=payload if payload is not None else {})
            assert r.status_code == 200, (path, r.status_code, r.text)
            return r.json()

        def get(self, path: str) -> dict:
            r = client.get("/_emulator" + path)
            assert r.status_code == 200, (path, r.status_code, r.text)
            return r.json()

        def config(self, **settings: object) -> dict:
            return self.post("/config", settings)

        def flow(self, name: str = "flow1", **kw: object) -> dict:
            return self.post("/flows", {"name": name, **kw})

        def seed(self, flow_name: str = "flow1", name: str = "exec1", **kw: object) -> dict:
            return self.post("/executions", {"flow_name": flow_name, "name": name, **kw})

        def status(self, flow_name: str, name: str) -> str:
            for ex in self.get("/executions?flow_name=" + flow_name)["executions"]:
                if ex["Name"] == name:
                    return ex["Status"]
            raise AssertionError("no execution %s/%s" % (flow_name, name))

    return Control()


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.01) -> bool:  # type: ignore
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
