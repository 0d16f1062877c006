# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the reliability suite, the bench and the integration targets take from the package: the
control surface as they use it, the loopback environment, the playbook runner."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

from cloudflow_emulator import EmulatorControl, loopback_environment
from cloudflow_emulator.playbooks import PlaybookRunner


# -- the control surface ----------------------------------------------------------------------

def test_request_is_unchecked_and_takes_a_query(control: EmulatorControl) -> None:
    control.seed_execution("f_1", "e1")
    control.seed_execution("f_2", "e2")
    answer = control.request("GET", "/executions?flow_name=f_1")
    assert answer.status_code == 200
    assert [entry["Name"] for entry in answer.json()["executions"]] == ["e1"]
    assert control.request("GET", "/no-such-call").status_code == 404
    assert control.request("POST", "/config", {"no_such_setting": 1}).status_code == 400
    # A POST without a body sends {}.
    assert control.request("POST", "/reset").json() == {"ok": True}
    assert control.request("DELETE", "/requests").status_code == 200


def test_views_of_the_state(control: EmulatorControl, api) -> None:  # type: ignore
    control.reset(race=True, stop_delay_seconds=2)
    assert control.config()["race"] is True and control.config()["stop_delay_seconds"] == 2
    control.seed_execution("f1", "a")
    control.seed_execution("f1", "b", status="Succeeded")
    control.seed_execution("f2", "c")
    assert control.statuses("f1") == {"a": "Running", "b": "Succeeded"}
    control.create_schedule("f1", "on", "0 0 4 * * *")
    control.create_schedule("f2", "off", "0 0 5 * * *", enable=False)
    assert control.schedules_enabled() == {"f1/on": True, "f2/off": False}
    assert control.schedules_enabled("f2") == {"f2/off": False}
    api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "a"})
    text = control.requests_text()
    assert json.loads(text) == control.requests() and '"DescribeExecution"' in text


def test_the_client_ignores_proxies_in_the_environment(control: EmulatorControl,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://192.0.2.1:9")  # TEST-NET-1: nothing answers there
    with EmulatorControl(control.url, timeout=5) as fresh:
        assert fresh.config()["race"] is False


# -- the environment --------------------------------------------------------------------------

SOURCE = {
    "PATH": "/usr/bin", "LANG": "C.UTF-8", "PYTHONPATH": "/elsewhere", "HTTPS_PROXY": "http://proxy:3128",
    "http_proxy": "http://proxy:3128", "no_proxy": "example.org", "SSL_CERT_FILE": "/ca.pem",
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "someone", "alicloud_secret_key": "s", "ANSIBLE_CONFIG": "/etc/a.cfg",
    "CLOUDFLOW_EMULATOR_URL": "http://127.0.0.1:1",
}


def test_loopback_environment_scrubbed() -> None:
    env = loopback_environment(SOURCE, home="/tmp/h", collections_path="/tmp/c", extra={"X": "1"})
    assert env == {
        "PATH": "/usr/bin", "LANG": "C.UTF-8", "HOME": "/tmp/h", "X": "1",
        "NO_PROXY": "*", "no_proxy": "*",
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "ALIBABA_CLOUD_IMDSV1_DISABLED": "true",
        "ANSIBLE_COLLECTIONS_PATH": "/tmp/c", "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
    }


def test_loopback_environment_keeping_proxies() -> None:
    env = loopback_environment(SOURCE, scrub=False, path_prepend=["/venv/bin", Path("/links")])
    assert env["HTTPS_PROXY"] == "http://proxy:3128" and env["ALIBABA_CLOUD_ACCESS_KEY_ID"] == "someone"
    assert env["NO_PROXY"] == env["no_proxy"] == "example.org,127.0.0.1,localhost,::1"
    assert env["PATH"] == os.pathsep.join(["/venv/bin", "/links", "/usr/bin"])
    assert "PYTHONPATH" not in env and env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] == "true"
    assert loopback_environment({"NO_PROXY": "localhost"}, scrub=False)["NO_PROXY"] == "localhost,127.0.0.1,::1"


def test_loopback_environment_defaults_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSIBLE_STDOUT_CALLBACK", "json")
    monkeypatch.setenv("CLOUDFLOW_TEST_MARK", "kept")
    env = loopback_environment()
    assert "ANSIBLE_STDOUT_CALLBACK" not in env and "CLOUDFLOW_TEST_MARK" not in env
    assert loopback_environment(scrub=False)["CLOUDFLOW_TEST_MARK"] == "kept"


# -- the playbook runner ----------------------------------------------------------------------

@pytest.fixture()
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlaybookRunner:
    if not (Path(sys.executable).parent / "ansible-playbook").exists() and not shutil.which("ansible-playbook"):
        pytest.skip("ansible-core is not installed here")
    monkeypatch.setenv("ANSIBLE_STDOUT_CALLBACK", "json")  # scrubbed: the runner's own default output
    monkeypatch.setenv("HTTPS_PROXY", "http://192.0.2.1:9")
    (tmp_path / "collections").mkdir()
    return PlaybookRunner(tmp_path / "work", tmp_path / "collections", environment={"RUNNER_MARK": "on"})


def test_a_play_records_tasks_and_registered_results(runner: PlaybookRunner) -> None:
    tasks = [
        runner.with_rss({"name": "ping", "ansible.builtin.ping": {}}, "the ping"),
        {"name": "look", "ansible.builtin.debug": {"msg": "{{ lookup('env', 'HOME') }} {{ lookup('env', 'HTTPS_PROXY') }}"
                                                          " {{ lookup('env', 'RUNNER_MARK') }} {{ lookup('env', 'ONE_RUN') }}"},
         "register": "looked"},
        {"name": "some items", "ansible.builtin.debug": {"msg": "{{ item }}"}, "loop": [1, 2, 3], "when": "item != 2",
         "register": "items"},
        {"name": "fail", "ansible.builtin.fail": {"msg": "on purpose"}, "register": "failure", "ignore_errors": True},
        {"name": "skip", "ansible.builtin.ping": {}, "when": False},
    ]
    run = runner.run_playbook(tasks, registered=["looked", "items", "failure", "missing"], env={"ONE_RUN": "yes"},
                              name="first play", timeout=300)
    assert run.returncode == 0, run.describe()
    assert run.recorded and runner.runs == [run]
    assert run.results["looked"]["msg"] == "{0}  on yes".format(runner.home)
    assert [item.get("skipped", False) for item in run.results["items"]["results"]] == [False, True, False]
    assert run.results["failure"]["failed"] is True and run.results["failure"]["msg"] == "on purpose"
    assert run.results["missing"] is None
    assert [(task["name"], task["status"]) for task in run.tasks] == [
        ("ping", "ok"), ("look", "ok"), ("some items", "ok"), ("fail", "failed"), ("skip", "skipped")]
    assert run.tasks[0]["action"] == "ansible.builtin.ping"
    assert (run.tasks[2]["items_ran"], run.tasks[2]["items_skipped"]) == (2, 1)
    assert run.tasks[3]["result"]["msg"] == "on purpose"
    assert all(task["start"] <= task["end"] <= time.time() for task in run.tasks)
    assert "PLAY [first play]" in run.stdout  # the default stdout callback, not the caller's
    [entry] = runner.rss_entries()
    assert entry["label"] == "the ping" and entry["rc"] == 0 and entry["maxrss_kib"] > 1000
    assert run.tasks[0]["start"] <= entry["start"] <= entry["end"] <= run.tasks[0]["end"]


def test_a_background_play_gets_the_signal_its_group_gets(runner: PlaybookRunner) -> None:
    started = runner.start_playbook([{"name": "sleep", "ansible.builtin.command": {"cmd": "sleep 60"}}])
    time.sleep(3.0)
    started.signal_group(signal.SIGTERM)
    run = started.wait(timeout=60)
    assert run.returncode != 0 and not run.recorded and run.tasks == []
