# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What an operator does to a maintenance window: interrupt it, run two at once, run it as AWX jobs.

Every step is a separate ansible-playbook process (or an ansible-runner job) against the emulator, with the
quiesce and resume roles as documented.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
import typing as t
from pathlib import Path

import pytest

from cloudflow_emulator import EmulatorControl
from reliability_harness import AnsibleRunner

FLOWS = ("win_a", "win_b")


def connection(ansible: AnsibleRunner) -> dict[str, t.Any]:
    return {"group/seed.cloudflow.cloudflow": ansible.connection()}


def role_task(ansible: AnsibleRunner, role: str, variables: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return {"name": role, "module_defaults": connection(ansible),
            "block": [{"name": role, "ansible.builtin.include_role": {"name": "seed.cloudflow." + role}, "vars": dict(variables)}]}


def seed_window(emulator: EmulatorControl, flows: t.Sequence[str] = FLOWS, schedules: int = 2, executions: int = 3, **settings: t.Any) -> None:
    emulator.reset(**settings)
    for flow in flows:
        for index in range(schedules):
            emulator.create_schedule(flow, "s{0}".format(index), "0 0 {0} * * *".format(index + 1), payload={"flow": flow})
        for index in range(executions):
            emulator.seed_execution(flow, "{0}-run-{1}".format(flow, index), input={"n": index})


def read_record(path: Path) -> t.Optional[dict[str, t.Any]]:
    try:
        return t.cast("dict[str, t.Any]", json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


def wait_for(condition: t.Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out after {0:g} s waiting until {1}".format(timeout, what))
        time.sleep(0.1)


@pytest.mark.parametrize("phase", ["drain", "wait"])
@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-group"])
def test_an_interrupted_quiesce_leaves_a_record_that_restores_every_schedule(
        emulator: EmulatorControl, ansible: AnsibleRunner, tmp_path: Path, phase: str, signal_number: int) -> None:
    # Four enabled schedules and six running executions that take 40 s to stop, as in issue 15.
    seed_window(emulator, stop_delay_seconds=40)
    record_path = tmp_path / "window.json"
    quiesce = ansible.start_playbook([role_task(ansible, "quiesce", {
        "quiesce_flows": list(FLOWS), "quiesce_cause": "CHG-interrupt", "quiesce_record_path": str(record_path),
        "quiesce_drain_timeout": 300 if phase == "drain" else 0, "quiesce_wait_timeout": 300})])
    try:
        if phase == "drain":
            # Schedules disabled and on file, no stop sent yet: the run is waiting for executions to finish by themselves.
            wait_for(lambda: (read_record(record_path) or {}).get("schedules") and all(
                entry["state"] == "disabled" for entry in read_record(record_path)["schedules"]),  # type: ignore[index]
                "the record shows the schedules disabled")
            time.sleep(1.0)
            assert "StopExecution" not in emulator.requests()["counts"]
        else:
            wait_for(lambda: len([entry for entry in (read_record(record_path) or {}).get("executions", [])
                                  if entry["state"] == "stopped"]) == 6, "the record shows the six stops")
            time.sleep(1.0)
        quiesce.signal_group(signal_number)
        interrupted = quiesce.wait(timeout=120)
    finally:
        if quiesce.process.poll() is None:
            quiesce.signal_group(signal.SIGKILL)
    assert interrupted.returncode != 0, interrupted.describe()
    assert all(not enabled for enabled in emulator.schedules_enabled().values()), "the interrupted run had disabled them"
    record = read_record(record_path)
    assert record is not None and record["state"] == "open"
    assert sorted(entry["flow_name"] + "/" + entry["name"] for entry in record["schedules"]) == [
        "win_a/s0", "win_a/s1", "win_b/s0", "win_b/s1"]
    assert len(record["executions"]) == 6
    assert {entry["state"] for entry in record["executions"]} == ({"pending"} if phase == "drain" else {"stopped"})
    assert all(entry["input"] == {"n": int(entry["name"][-1])} for entry in record["executions"])

    emulator.clear_requests()
    resumed = ansible.run_playbook([role_task(ansible, "resume", {
        "resume_record_path": str(record_path), "resume_restart_stopped": True, "resume_name_suffix": "-after"})])
    assert resumed.returncode == 0, resumed.describe()
    assert emulator.schedules_enabled() == {"win_a/s0": True, "win_a/s1": True, "win_b/s0": True, "win_b/s1": True}
    starts = emulator.requests()["counts"].get("StartExecution", 0)
    # Drain: nothing was stopped (they still run), so nothing is replaced; wait: the six stopped ones are.
    assert starts == (0 if phase == "drain" else 6)
    assert read_record(record_path)["state"] == "resumed"  # type: ignore[index]


def test_two_quiesce_jobs_at_once_on_one_record(emulator: EmulatorControl, ansible: AnsibleRunner, tmp_path: Path) -> None:
    flows = ["job_f{0}".format(index) for index in range(1, 7)]
    seed_window(emulator, flows, schedules=1, executions=1, stop_delay_seconds=0.5)
    record_path = tmp_path / "window.json"
    jobs = [ansible.start_playbook([role_task(ansible, "quiesce", {
        "quiesce_flows": part, "quiesce_cause": "CHG-two-jobs", "quiesce_record_path": str(record_path)})])
        for part in (flows[:3], flows[3:])]
    runs = [job.wait(timeout=300) for job in jobs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(run.describe() for run in runs)
    record = read_record(record_path)
    assert record is not None
    assert sorted(entry["flow_name"] for entry in record["schedules"]) == flows
    assert sorted(entry["flow_name"] for entry in record["executions"]) == flows
    assert len(record["runs"]) == 2
    resumed = ansible.run_playbook([role_task(ansible, "resume", {"resume_record_path": str(record_path)})])
    assert resumed.returncode == 0, resumed.describe()
    assert emulator.schedules_enabled() == {flow + "/s0": True for flow in flows}


def test_a_resume_given_a_wrong_path_fails_naming_it(emulator: EmulatorControl, ansible: AnsibleRunner, tmp_path: Path) -> None:
    seed_window(emulator, schedules=1, executions=0)
    record_path = tmp_path / "window.json"
    assert ansible.run_playbook([role_task(ansible, "quiesce", {
        "quiesce_flows": list(FLOWS), "quiesce_cause": "CHG-path", "quiesce_record_path": str(record_path)})]).returncode == 0
    wrong = tmp_path / "windwo.json"
    resumed = ansible.run_playbook([role_task(ansible, "resume", {"resume_record_path": str(wrong)})])
    assert resumed.returncode != 0
    assert "{0}: there is no record at this path".format(wrong) in resumed.output
    assert not any(emulator.schedules_enabled().values())


def test_an_awx_workflow_hands_the_record_from_the_quiesce_job_to_the_resume_job(
        emulator: EmulatorControl, ansible: AnsibleRunner, tmp_path: Path) -> None:
    """Two ansible-runner jobs in throw-away directories; the record travels only through the published stats."""
    ansible_runner = pytest.importorskip("ansible_runner")
    seed_window(emulator, stop_delay_seconds=0.5)
    keys = ansible.connection()
    connection_vars = {"window_endpoint": emulator.url, "window_key_id": keys["access_key_id"], "window_key_secret": keys["access_key_secret"]}
    module_options = {"endpoint": "{{ window_endpoint }}", "access_key_id": "{{ window_key_id }}", "access_key_secret": "{{ window_key_secret }}"}
    defaults = {"group/seed.cloudflow.cloudflow": module_options}

    def job(name: str, role: str, variables: dict[str, t.Any], extravars: dict[str, t.Any]) -> t.Any:
        private = tmp_path / name
        (private / "project").mkdir(parents=True)
        play = {"name": name, "hosts": "localhost", "gather_facts": False, "module_defaults": defaults,
                "tasks": [{"name": role, "ansible.builtin.include_role": {"name": "seed.cloudflow." + role}, "vars": variables}]}
        (private / "project" / "job.yml").write_text(json.dumps([play]), encoding="utf-8")
        env = ansible.environment()
        return ansible_runner.run(private_data_dir=str(private), playbook="job.yml", envvars=env,
                                  extravars=dict(connection_vars, **extravars), quiet=True)

    quiesce = job("quiesce-job", "quiesce", {
        "quiesce_flows": list(FLOWS), "quiesce_cause": "CHG-awx", "quiesce_publish_record": True,
        # A file inside the job's own directory, which is thrown away with it, as in a container group.
        "quiesce_record_path": str(tmp_path / "quiesce-job" / "window.json")}, {})
    assert quiesce.status == "successful", quiesce.stdout.read()
    stats = [event for event in quiesce.events if event.get("event") == "playbook_on_stats"]
    artifacts = stats[-1]["event_data"].get("artifact_data") or {}
    assert set(artifacts) == {"quiesce_record"}
    assert len(artifacts["quiesce_record"]["schedules"]) == 4 and len(artifacts["quiesce_record"]["executions"]) == 6
    shutil.rmtree(tmp_path / "quiesce-job")
    assert not any(emulator.schedules_enabled().values())

    resume = job("resume-job", "resume", {"resume_record": "{{ quiesce_record }}", "resume_restart_stopped": True,
                                          "resume_name_suffix": "-awx"}, artifacts)
    assert resume.status == "successful", resume.stdout.read()
    assert all(emulator.schedules_enabled().values()) and len(emulator.schedules_enabled()) == 4
    assert sorted(name for flow in FLOWS for name in emulator.statuses(flow) if name.endswith("-awx")) == sorted(
        "{0}-run-{1}-awx".format(flow, index) for flow in FLOWS for index in range(3))
