# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`PlaybookRunner`: run generated playbooks with a real `ansible-playbook` against the emulator, and
read back what they did (the reliability suite and the bench both use it).

Each play runs on the implicit localhost in a loopback-only environment (`loopback_environment`):
no proxy, no credentials or Ansible settings from the caller's environment, the ECS metadata
service disabled, HOME and Ansible's directories inside the runner's work directory, an empty
ansible.cfg. The callback `cloudflow_playbook_record` (callback_plugins/) records every task's start,
end, status and action, and the results of registered tasks; a `Run` carries them with the exit
code and the output. Standard library only: ansible-core is run, never imported.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any, Dict, List, Mapping, Optional, Sequence, Union

from .environment import loopback_environment

PathLike = Union[str, "os.PathLike[str]"]
CALLBACK_PLUGINS = Path(__file__).resolve().parent / "callback_plugins"
RECORD_CALLBACK = "cloudflow_playbook_record"
RECORD_VARIABLE = "CLOUDFLOW_PLAYBOOK_RECORD"
RSS_VARIABLE = "CLOUDFLOW_PLAYBOOK_RSS"
RSS_LABEL_VARIABLE = "CLOUDFLOW_PLAYBOOK_RSS_LABEL"

# An interpreter for ansible_python_interpreter that runs the real Python as a child and records the child's peak
# RSS (getrusage(RUSAGE_CHILDREN).ru_maxrss, KiB on Linux) and when it started and exited.
RSS_SHIM = """#!{python}
import json, os, resource, subprocess, sys, time
start = time.time()
code = subprocess.call([{python!r}] + sys.argv[1:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
out = os.environ.get({out!r})
if out:
    script = os.path.basename(sys.argv[1]) if len(sys.argv) > 1 else '<stdin>'
    end = time.time()
    entry = {{'label': os.environ.get({label!r}), 'script': script, 'maxrss_kib': usage.ru_maxrss,
             'start': start, 'end': end, 'seconds': end - start, 'rc': code}}
    with open(out, 'a') as handle:
        handle.write(json.dumps(entry) + '\\n')
sys.exit(code)
"""


def ansible_playbook_command() -> str:
    """ansible-playbook beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.exists():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if not found:
        raise RuntimeError("ansible-playbook is installed neither beside {0} nor on PATH".format(sys.executable))
    return found


class Run:
    """One ansible-playbook run: exit code, output, and what the callback recorded.

    tasks: the task records (see callback_plugins/cloudflow_playbook_record.py); results: the
    registered names asked for, each with its result or None; recorded: whether the callback
    wrote its record (not when the play was killed); results_text: that record as written.
    """

    def __init__(self, returncode: int, stdout: str, stderr: str, record_text: str = "",
                 registered: Sequence[str] = ()) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.results_text = record_text
        self.recorded = bool(record_text)
        record = json.loads(record_text) if record_text else {}
        self.tasks: List[Dict[str, Any]] = record.get("tasks", [])
        found = record.get("registered", {})
        self.results: Dict[str, Any] = {name: found.get(name) for name in registered}

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr

    def everything(self) -> str:
        """Every text a user could see: stdout, stderr and the recorded results."""
        return "\n".join((self.stdout, self.stderr, self.results_text))

    def describe(self) -> str:
        return "rc={0}\n--- stdout (tail) ---\n{1}\n--- stderr (tail) ---\n{2}".format(
            self.returncode, self.stdout[-6000:], self.stderr[-3000:])


class Background:
    """A playbook running in its own process group; wait() collects it as a Run (and adds it to
    the runner's runs)."""

    def __init__(self, runner: "PlaybookRunner", process: "subprocess.Popen[str]", stdout: IO[str],
                 stderr: IO[str], record_file: Path, registered: Sequence[str]) -> None:
        self.runner, self.process, self.record_file, self.registered = runner, process, record_file, tuple(registered)
        self._stdout, self._stderr = stdout, stderr

    def signal_group(self, number: int) -> None:
        """Signal the whole process group: ansible-playbook, its workers and the module processes."""
        os.killpg(self.process.pid, number)

    def wait(self, timeout: float) -> Run:
        """The finished run; after timeout the group is killed and subprocess.TimeoutExpired raised."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.process.wait()
            raise
        finally:
            for handle in (self._stdout, self._stderr):
                handle.flush()
        self._stdout.seek(0)
        self._stderr.seek(0)
        stdout, stderr = self._stdout.read(), self._stderr.read()
        self._stdout.close()
        self._stderr.close()
        record = self.record_file.read_text(encoding="utf-8") if self.record_file.exists() else ""
        run = Run(self.process.returncode, stdout, stderr, record, self.registered)
        self.runner.runs.append(run)
        return run


class PlaybookRunner:
    """Runs generated plays on the implicit localhost, one ansible-playbook process each.

    workdir holds the playbooks, their output and records, HOME and Ansible's directories;
    collections_path is the directory above ansible_collections (give a play another one through
    env={"ANSIBLE_COLLECTIONS_PATH": ...}). Keep it out of workdir/collections: Ansible also
    searches the collections directory beside the playbook. environment: variables every play
    gets (credentials, an endpoint). bytecode_cache: a PYTHONPYCACHEPREFIX for every process
    (None keeps the caller's bytecode settings).
    """

    def __init__(self, workdir: PathLike, collections_path: PathLike, *,
                 environment: Optional[Mapping[str, str]] = None,
                 bytecode_cache: Optional[PathLike] = None) -> None:
        self.workdir = Path(workdir)
        self.collections_path = Path(collections_path)
        self.extra_environment = dict(environment or {})
        self.bytecode_cache = Path(bytecode_cache) if bytecode_cache is not None else None
        self.home = self.workdir / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file = self.workdir / "ansible.cfg"
        self.config_file.write_text("[defaults]\n", encoding="utf-8")
        self.rss_file = self.workdir / "rss.jsonl"
        self._rss_shim: Optional[Path] = None
        self._counter = 0
        # Extra ansible-playbook options for every run (the reliability suite's -vvvv --diff re-runs).
        self.verbosity = 0
        self.diff = False
        self.runs: List[Run] = []

    def environment(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        """The environment of every play: loopback only, HOME and Ansible's settings here."""
        env = loopback_environment(home=self.home, collections_path=self.collections_path, extra={
            "ANSIBLE_CONFIG": str(self.config_file),
            "ANSIBLE_HOME": str(self.home / ".ansible"),
            "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": str(self.workdir / "ansible-remote"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "ANSIBLE_SYSTEM_WARNINGS": "false",
            "ANSIBLE_GATHERING": "explicit",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_PLUGINS),
            "ANSIBLE_CALLBACKS_ENABLED": RECORD_CALLBACK,
            RSS_VARIABLE: str(self.rss_file),
        })
        # Nothing here ships bytecode (the venvs are installed without it), so without a cache every ansible-playbook
        # and module process compiles ansible-core, httpx and the rest from source again. A cache outside the
        # repository and the venv (the same sources run either way).
        if self.bytecode_cache is not None:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(self.bytecode_cache)
        env.update(self.extra_environment)
        if extra:
            env.update(extra)
        return env

    def start_playbook(self, tasks: Sequence[Mapping[str, Any]], registered: Sequence[str] = (),
                       env: Optional[Mapping[str, str]] = None, extra_args: Sequence[str] = (),
                       play_vars: Optional[Mapping[str, Any]] = None, name: str = "playbook") -> Background:
        """Start tasks as one play on localhost in its own process group (as a terminal runs a
        command), and return at once. The playbook is written as JSON (which is YAML), so no value
        is ever re-quoted; files are named <n>-<name>.* in workdir."""
        self._counter += 1
        stem = self.workdir / "{0:02d}-{1}".format(self._counter, name.replace(" ", "-").replace("/", "-"))
        playbook = Path(str(stem) + ".yml")
        record_file = Path(str(stem) + ".record.json")
        play = {"name": name, "hosts": "localhost", "gather_facts": False, "vars": dict(play_vars or {}),
                "tasks": list(tasks)}
        playbook.write_text(json.dumps([play], indent=1), encoding="utf-8")
        command = [ansible_playbook_command(), str(playbook)] + list(extra_args)
        if self.verbosity:
            command.append("-" + "v" * self.verbosity)
        if self.diff:
            command.append("--diff")
        stdout = open(str(stem) + ".out", "w+", encoding="utf-8", errors="replace")  # pylint: disable=consider-using-with
        stderr = open(str(stem) + ".err", "w+", encoding="utf-8", errors="replace")  # pylint: disable=consider-using-with
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            command, cwd=str(self.workdir), env=self.environment(dict(env or {}, **{RECORD_VARIABLE: str(record_file)})),
            stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True, text=True)
        return Background(self, process, stdout, stderr, record_file, registered)

    def run_playbook(self, tasks: Sequence[Mapping[str, Any]], registered: Sequence[str] = (),
                     env: Optional[Mapping[str, str]] = None, extra_args: Sequence[str] = (),
                     play_vars: Optional[Mapping[str, Any]] = None, name: str = "playbook",
                     timeout: float = 1800.0) -> Run:
        """start_playbook, then wait for it; the results of the tasks that register the names in
        registered are in the Run, as the controller received them."""
        return self.start_playbook(tasks, registered, env, extra_args, play_vars, name).wait(timeout=timeout)

    # -- peak memory of module processes ----------------------------------------------------
    def with_rss(self, task: Mapping[str, Any], label: str) -> Dict[str, Any]:
        """The task, run by an interpreter shim that records the peak RSS of the process that
        runs the module (and when it started and exited) under label: see rss_entries()."""
        if self._rss_shim is None:
            self._rss_shim = self.workdir / "python-rss-shim"
            self._rss_shim.write_text(RSS_SHIM.format(python=sys.executable, out=RSS_VARIABLE, label=RSS_LABEL_VARIABLE),
                                      encoding="utf-8")
            self._rss_shim.chmod(0o755)
        measured = dict(task)
        measured["vars"] = dict(task.get("vars") or {}, ansible_python_interpreter=str(self._rss_shim))
        measured["environment"] = dict(task.get("environment") or {}, **{RSS_LABEL_VARIABLE: label})
        return measured

    def rss_entries(self) -> List[Dict[str, Any]]:
        """One entry per shim run: label, script, maxrss_kib, start, end, seconds, rc."""
        if not self.rss_file.exists():
            return []
        with open(self.rss_file, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
