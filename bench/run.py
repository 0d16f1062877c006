# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The seed.cloudflow benchmark (``make bench``): the figures of the performance page, measured against the local emulator.

Run with the Python of a venv that has ansible-core and httpx (``make bench`` does this):

    python bench/run.py [--quick] [--output docs/docsite/performance.json]
                        [--rst docs/docsite/rst/performance.rst] [--svg docs/docsite/rst/images/bulk_throughput.svg]

Everything runs over loopback: the emulator is started here on 127.0.0.1 with a random port, the
playbooks use the implicit localhost, HOME is a fresh temporary directory, proxies are removed from
the environment and the ECS metadata service is disabled. Figures are ratios measured inside one run;
absolute times on a small shared machine are noise. See docs/docsite/rst/performance.rst for what
each figure means and how it is measured.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import traceback
import typing as t
import urllib.error
import urllib.request

from cloudflow_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, EmulatorProcess, EmulatorStartError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
# The emulator's default key (defined once, in the emulator package).
ACCESS_KEY_ID = DEFAULT_ACCESS_KEY_ID
ACCESS_KEY_SECRET = DEFAULT_ACCESS_KEY_SECRET
MODULE = "seed.cloudflow.cloudflow_execution"
READ_ACTIONS = ("DescribeExecution", "ListExecutions", "GetExecutionHistory", "DescribeFlow", "ListFlows")
TERMINAL = ("Stopped", "Succeeded", "Failed", "TimedOut")

# StopExecution quota of the service (burst, refill per second) and the scale used for the bulk figure.
STOP_QUOTA = (10.0, 2.0)
BULK_QUOTA_SCALE = 20.0
POLL_INTERVAL = 5.0

DEFAULT_JSON = os.path.join(REPO, "docs", "docsite", "performance.json")
DEFAULT_RST = os.path.join(REPO, "docs", "docsite", "rst", "performance.rst")
DEFAULT_SVG = os.path.join(REPO, "docs", "docsite", "rst", "images", "bulk_throughput.svg")
RST_LABEL = "ansible_collections.seed.cloudflow.docsite.performance"

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy")


class BenchError(Exception):
    """A figure could not be measured; the message says why."""


def say(text: str) -> None:
    print("[bench] " + text, flush=True)


def median(values: t.Sequence[float]) -> t.Optional[float]:
    return statistics.median(values) if values else None


def mean(values: t.Sequence[float]) -> t.Optional[float]:
    return statistics.fmean(values) if values else None


def parse_time(text: str) -> float:
    """An emulator RFC 3339 UTC time (milliseconds, trailing Z) as epoch seconds."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    return datetime.datetime.fromisoformat(value).timestamp()


# ---------------------------------------------------------------------------------------------
# the emulator


class Emulator:
    """The project's emulator (the cloudflow_emulator package) on 127.0.0.1, plus its unsigned control surface."""

    def __init__(self, workdir: str, env: t.Mapping[str, str]) -> None:
        self.workdir = workdir
        self.env = dict(env)
        self.process: t.Optional[EmulatorProcess] = None
        self.url = ""
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def start(self, timeout: float = 30.0) -> None:
        self.process = EmulatorProcess(port=0, env=self.env, log_path=os.path.join(self.workdir, "emulator.log"),
                                       startup_timeout=timeout)
        try:
            self.process.start()
        except EmulatorStartError as error:
            self.process = None
            raise BenchError(str(error))
        self.url = self.process.url
        host = self.url.split("://", 1)[1].rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "[::1]", "localhost"):
            self.stop()
            raise BenchError("the emulator announced a non-loopback URL {0}".format(self.url))

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=10)
        self.process = None

    def control(self, method: str, path: str, data: t.Optional[t.Mapping[str, t.Any]] = None) -> t.Any:
        body = None if data is None else json.dumps(data).encode("utf-8")
        request = urllib.request.Request(self.url + "/_emulator/" + path, data=body, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise BenchError("emulator control {0} {1} answered {2}: {3}".format(
                method, path, error.code, error.read()[:500].decode("utf-8", "replace"))) from error

    def reset(self, **settings: t.Any) -> None:
        self.control("POST", "reset", {})
        if settings:
            self.control("POST", "config", settings)

    def config(self, **settings: t.Any) -> None:
        self.control("POST", "config", settings)

    def seed(self, flow: str, name: str, status: str = "Running") -> None:
        self.control("POST", "executions", {"flow_name": flow, "name": name, "status": status})

    def seed_bulk(self, flow: str, count: int, prefix: str) -> t.List[str]:
        return self.control("POST", "executions/bulk", {"flow_name": flow, "count": count, "name_prefix": prefix})["names"]

    def requests(self) -> t.Dict[str, t.Any]:
        return self.control("GET", "requests")

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def executions(self, flow: str) -> t.Dict[str, t.Dict[str, t.Any]]:
        found = self.control("GET", "executions?flow_name=" + flow)["executions"]
        return {entry["Name"]: entry for entry in found}


# ---------------------------------------------------------------------------------------------
# running playbooks


class Runner:
    """Builds the isolated environment and runs generated playbooks with the timing callback."""

    def __init__(self, workdir: str, emulator_url: str) -> None:
        self.workdir = workdir
        self.home = os.path.join(workdir, "home")
        os.makedirs(self.home, exist_ok=True)
        # Not workdir/collections: Ansible also searches the collections directory beside the playbook, which would
        # shadow ANSIBLE_COLLECTIONS_PATH when a play is run with another copy of the collection (figure 8).
        self.collections = os.path.join(workdir, "collections-checkout")
        namespace = os.path.join(self.collections, "ansible_collections", "seed")
        os.makedirs(namespace, exist_ok=True)
        os.symlink(REPO, os.path.join(namespace, "cloudflow"))
        self.playbook_bin = self._find_playbook()
        self.shim = self._write_rss_shim()
        self.rss_out = os.path.join(workdir, "rss.jsonl")
        self.env = isolated_env(self.home)
        self.env.update({
            "ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
            "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT": emulator_url,
            "ANSIBLE_COLLECTIONS_PATH": self.collections,
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(BENCH, "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "bench_timer",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_HOME": os.path.join(self.home, ".ansible"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.home, ".ansible", "tmp"),
            "ANSIBLE_REMOTE_TEMP": os.path.join(self.home, ".ansible", "tmp"),
            "BENCH_RSS_OUT": self.rss_out,
        })
        self.runs = 0

    @staticmethod
    def _find_playbook() -> str:
        candidate = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
        if os.access(candidate, os.X_OK):
            return candidate
        found = shutil.which("ansible-playbook")
        if not found:
            raise BenchError("ansible-playbook was found neither next to {0} nor on PATH".format(sys.executable))
        return found

    def _write_rss_shim(self) -> str:
        """An interpreter for ansible_python_interpreter that runs the real Python as a child and
        records the child's peak RSS (getrusage(RUSAGE_CHILDREN).ru_maxrss, KiB on Linux)."""
        path = os.path.join(self.workdir, "python-rss-shim")
        source = "\n".join([
            "#!" + sys.executable,
            "import json, os, resource, subprocess, sys, time",
            "start = time.time()",
            "code = subprocess.call([{0!r}] + sys.argv[1:])".format(sys.executable),
            "usage = resource.getrusage(resource.RUSAGE_CHILDREN)",
            "out = os.environ.get('BENCH_RSS_OUT')",
            "if out:",
            "    script = os.path.basename(sys.argv[1]) if len(sys.argv) > 1 else '<stdin>'",
            "    end = time.time()",
            "    entry = {'label': os.environ.get('BENCH_RSS_LABEL'), 'script': script, 'maxrss_kib': usage.ru_maxrss,",
            "             'start': start, 'end': end, 'seconds': end - start, 'rc': code}",
            "    with open(out, 'a') as handle:",
            "        handle.write(json.dumps(entry) + '\\n')",
            "sys.exit(code)",
            "",
        ])
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source)
        os.chmod(path, 0o755)
        return path

    def run(self, label: str, tasks: t.List[t.Dict[str, t.Any]], timeout: float = 300.0,
            env: t.Optional[t.Mapping[str, str]] = None) -> t.List[t.Dict[str, t.Any]]:
        """Run one play of tasks on the implicit localhost; return the callback's task records.

        env overrides variables of the isolated environment (another ANSIBLE_COLLECTIONS_PATH, for example)."""
        self.runs += 1
        stem = "{0:02d}-{1}".format(self.runs, label)
        playbook = os.path.join(self.workdir, stem + ".yml")
        timer = os.path.join(self.workdir, stem + ".timer.json")
        play = [{"name": "bench " + label, "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
        with open(playbook, "w", encoding="utf-8") as handle:
            json.dump(play, handle, indent=1)  # JSON is YAML
        env = dict(self.env, **(env or {}))
        env["BENCH_TIMER_OUT"] = timer
        try:
            completed = subprocess.run([self.playbook_bin, playbook], cwd=self.workdir, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as error:
            raise BenchError("playbook {0} did not finish within {1:g} s".format(label, timeout)) from error
        output = completed.stdout.decode("utf-8", "replace")
        with open(os.path.join(self.workdir, stem + ".out"), "w", encoding="utf-8") as handle:
            handle.write(output)
        if not os.path.exists(timer):
            raise BenchError("playbook {0} exited {1} without timing data: {2}".format(label, completed.returncode, output[-2000:]))
        with open(timer, encoding="utf-8") as handle:
            records = json.load(handle)["tasks"]
        if completed.returncode != 0:
            failed = [record for record in records if record["status"] != "ok"]
            raise BenchError("playbook {0} exited {1}; failed tasks: {2}; output tail: {3}".format(
                label, completed.returncode, json.dumps(failed)[:1500], output[-1500:]))
        return records

    def rss_entries(self) -> t.List[t.Dict[str, t.Any]]:
        if not os.path.exists(self.rss_out):
            return []
        with open(self.rss_out, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]


def isolated_env(home: str) -> t.Dict[str, str]:
    """The caller's environment without proxies, credentials or Ansible settings; HOME is temporary."""
    env = {}
    for key, value in os.environ.items():
        lower = key.lower()
        if lower in PROXY_VARIABLES or key.startswith(("ANSIBLE_", "ALIBABA_CLOUD_", "ALICLOUD_")) or key == "PYTHONPATH":
            continue
        env[key] = value
    env["HOME"] = home
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    env["ALIBABA_CLOUD_IMDSV1_DISABLED"] = "true"
    return env


def stop_task(flow: str, name: str, label: str, **extra: t.Any) -> t.Dict[str, t.Any]:
    args = {"flow_name": flow, "name": name, "state": "stopped"}
    args.update(extra)
    return {"name": label, MODULE: args}


def ping_task(label: str) -> t.Dict[str, t.Any]:
    return {"name": label, "ansible.builtin.ping": {}}


def with_rss(task: t.Dict[str, t.Any], runner: Runner, label: str) -> t.Dict[str, t.Any]:
    task = dict(task)
    task["vars"] = {"ansible_python_interpreter": runner.shim}
    task["environment"] = {"BENCH_RSS_LABEL": label}
    return task


def duration(record: t.Mapping[str, t.Any]) -> float:
    return float(record["end"]) - float(record["start"])


def by_name(records: t.Sequence[t.Mapping[str, t.Any]]) -> t.Dict[str, t.Mapping[str, t.Any]]:
    return {record["name"]: record for record in records}


# ---------------------------------------------------------------------------------------------
# figures 1, 2 and 5 (single): one playbook


CALL_SCENARIOS = (
    # (key, label, seeded status or None for absent, task arguments, check mode, target)
    ("noop_stop", "no-op stop (already Stopped)", "Stopped", {"state": "stopped"}, False, "1 request"),
    ("stop_running", "stop of a Running execution", "Running", {"state": "stopped"}, False, "2 requests"),
    ("check_stop", "check mode stop of a Running execution", "Running", {"state": "stopped"}, True, "reads only"),
    ("start", "start (execution absent)", None, {"state": "started", "input": {"bench": True}}, False, None),
    ("check_start", "check mode start (execution absent)", None, {"state": "started"}, True, "reads only"),
    ("wait_stop", "stop with wait=true (stop_delay 0)", "Running", {"state": "stopped", "wait": True}, False, None),
)


BULK_CALL_COUNT = 5
BULK_CALL_SCENARIOS = (("callsbulk", False), ("callsbulkcheck", True))


def call_summary(label: str, target: t.Optional[str], entries: list[dict[str, t.Any]], record: dict[str, t.Any]) -> dict[str, t.Any]:
    """What one scenario sent, from its emulator log entries, and what its task reported."""
    return {
        "label": label,
        "target": target,
        "requests": len(entries),
        "reads": sum(1 for entry in entries if entry.get("action") in READ_ACTIONS),
        "writes": sum(1 for entry in entries if entry.get("action") not in READ_ACTIONS),
        "throttled_429": sum(1 for entry in entries if entry.get("http_status") == 429),
        "actions": [entry.get("action") for entry in entries],
        "task_changed": record["result"].get("changed"),
        "task_status": record["status"],
    }


def figure_task_cost(emulator: Emulator, runner: Runner, pairs: int) -> t.Dict[str, t.Any]:
    flow = "costflow"
    emulator.reset()
    for index in range(pairs + 1):
        emulator.seed(flow, "cost-{0:02d}".format(index))
    for key, _label, status, _args, _check, _target in CALL_SCENARIOS:
        if status:
            emulator.seed(flow, "calls-" + key.replace("_", "-"), status)
    emulator.seed(flow, "mem-stop")
    for bulk_flow, _check in BULK_CALL_SCENARIOS:
        emulator.seed_bulk(bulk_flow, BULK_CALL_COUNT, "r-")
    emulator.clear_requests()

    tasks = [ping_task("warm ping"), stop_task(flow, "cost-{0:02d}".format(pairs), "warm stop")]
    for index in range(pairs):
        pair = [ping_task("ping {0:02d}".format(index)), stop_task(flow, "cost-{0:02d}".format(index), "stop {0:02d}".format(index))]
        tasks.extend(pair if index % 2 == 0 else pair[::-1])
    for key, _label, _status, args, check, _target in CALL_SCENARIOS:
        task = {"name": "calls " + key, MODULE: dict({"flow_name": flow, "name": "calls-" + key.replace("_", "-")}, **args)}
        if check:
            task["check_mode"] = True
        tasks.append(task)
    for bulk_flow, check in BULK_CALL_SCENARIOS:
        task = {"name": "calls " + bulk_flow, MODULE: {"flow_name": bulk_flow, "filters": {}, "state": "stopped"}}
        if check:
            task["check_mode"] = True
        tasks.append(task)
    tasks.append(with_rss(ping_task("mem ping"), runner, "ping"))
    tasks.append(with_rss(stop_task(flow, "mem-stop", "mem stop"), runner, "single-stop"))

    records = by_name(runner.run("task-cost", tasks))
    ping_times = [duration(records["ping {0:02d}".format(index)]) for index in range(pairs)]
    stop_times = [duration(records["stop {0:02d}".format(index)]) for index in range(pairs)]
    changed = [records["stop {0:02d}".format(index)]["result"].get("changed") for index in range(pairs)]
    ping_median = median(ping_times)
    stop_median = median(stop_times)
    log = emulator.requests()
    cost = {
        "pairs": pairs,
        "order": "alternating (ping, stop), (stop, ping), ...; one warm-up ping and stop excluded",
        "ping_seconds": ping_times,
        "stop_seconds": stop_times,
        "stop_changed": changed,
        "ping_median_s": ping_median,
        "stop_median_s": stop_median,
        "ratio": (stop_median / ping_median) if ping_median else None,
        "pairwise_ratio_median": median([s / p for s, p in zip(stop_times, ping_times) if p > 0]),
    }

    calls = {}
    for key, label, _status, args, check, target in CALL_SCENARIOS:
        name = "calls-" + key.replace("_", "-")
        entries = [entry for entry in log["requests"] if entry.get("execution_name") == name]
        calls[key] = call_summary(label, target, entries, records["calls " + key])
    for bulk_flow, check in BULK_CALL_SCENARIOS:
        entries = [entry for entry in log["requests"] if entry.get("flow_name") == bulk_flow]
        label = "{0}bulk stop, filters {{}}, {1} Running".format("check mode " if check else "", BULK_CALL_COUNT)
        calls[bulk_flow] = call_summary(label, "reads only" if check else None, entries, records["calls " + bulk_flow])
    cost_entries = [entry for entry in log["requests"] if str(entry.get("execution_name") or "").startswith("cost-")]
    calls["cost_stops"] = {
        "label": "figure 1 stops ({0} + warm-up), per stop".format(pairs),
        "target": None,
        "requests": len(cost_entries) / float(pairs + 1),
        "reads": sum(1 for entry in cost_entries if entry.get("action") in READ_ACTIONS) / float(pairs + 1),
        "writes": sum(1 for entry in cost_entries if entry.get("action") not in READ_ACTIONS) / float(pairs + 1),
        "throttled_429": sum(1 for entry in cost_entries if entry.get("http_status") == 429),
        "actions": sorted(set(str(entry.get("action")) for entry in cost_entries)),
    }
    return {"task_cost": cost, "calls": calls}


def figure_module_split(emulator: Emulator, runner: Runner, repeats: int) -> t.Dict[str, t.Any]:
    flow = "splitflow"
    emulator.reset()
    for index in range(repeats):
        emulator.seed(flow, "split-{0:02d}".format(index))
    env = dict(runner.env)
    env["PYTHONPATH"] = runner.collections
    script = os.path.join(BENCH, "module_split.py")
    runs = []
    for index in range(repeats):
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, script, flow, "split-{0:02d}".format(index)], cwd=runner.workdir, env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                                   check=False)
        wall = time.perf_counter() - started
        if completed.returncode != 0:
            raise BenchError("bench/module_split.py failed: " + completed.stderr.decode("utf-8", "replace")[-1500:])
        split = json.loads(completed.stdout.decode("utf-8").strip().splitlines()[-1])
        split["process_wall"] = wall
        runs.append(split)
    keys = ("import_httpx", "import_httpcore", "import_basic", "import_collection", "args", "client", "http", "exit", "process_wall")
    medians = {key: median([run[key] for run in runs]) for key in keys}
    # The sum of the component medians, so that the parts add up in the report.
    medians["imports_total"] = sum(medians[key] for key in ("import_httpx", "import_httpcore", "import_basic", "import_collection"))
    measured = sum(medians[key] for key in keys[:-1])
    medians["interpreter_and_rest"] = max(0.0, medians["process_wall"] - measured)
    return {
        "method": ("bench/module_split.py in a fresh {0} process per run (not through AnsiballZ): time.perf_counter() "
                   "around import httpx (and httpcore, which httpx otherwise imports when the first Client is built), "
                   "import ansible.module_utils.basic, import of the collection's module "
                   "(which imports its module_utils), AnsibleModule construction plus the module's option checks, "
                   "client construction, the HTTP calls of a stop (DescribeExecution + StopExecution), and exit_json; "
                   "medians of {1} runs, each stopping a different Running execution").format(
                       platform.python_implementation() + " " + platform.python_version(), repeats),
        "runs": runs,
        "median_s": medians,
    }


# ---------------------------------------------------------------------------------------------
# figure 3: wait latency


def figure_wait(emulator: Emulator, runner: Runner, trials: int, delay: float, poll_trials: int,
                split_trials: int) -> t.Dict[str, t.Any]:
    flow = "waitflow"
    emulator.reset(stop_delay_seconds=delay)
    names = ["wait-{0:02d}".format(index) for index in range(trials)]
    poll_names = ["poll-{0:02d}".format(index) for index in range(poll_trials)]
    for name in names + poll_names:
        emulator.seed(flow, name)
    # Extra trials through the RSS shim, which also records when the module process exited: they split the
    # latency into the module's part (long-poll wake-up, result, interpreter exit) and the controller's part.
    split_names = ["wsplit-{0:02d}".format(index) for index in range(split_trials)]
    for name in split_names:
        emulator.seed(flow, name)
    tasks = []
    for index in range(max(trials, split_trials)):
        if index < trials:
            tasks.append(stop_task(flow, names[index], "wait " + names[index], wait=True, wait_timeout=60))
        if index < split_trials:
            tasks.append(with_rss(stop_task(flow, split_names[index], "wait " + split_names[index], wait=True, wait_timeout=60),
                                  runner, "wait-" + split_names[index]))
    records = by_name(runner.run("wait", tasks, timeout=60 + (trials + split_trials) * (delay + 30)))
    long_poll_names = ["lpoll-{0:02d}".format(index) for index in range(split_trials)]
    for name in long_poll_names:
        emulator.seed(flow, name)
    polled = reference_poller(emulator, runner, flow, poll_names, delay, long_poll_names)
    poller = [trial for trial in polled if trial["kind"] == "fixed"]
    in_process = [trial for trial in polled if trial["kind"] == "long-poll"]
    executions = emulator.executions(flow)
    log = emulator.requests()
    stop_accepts = {entry["execution_name"]: parse_time(entry["time"]) for entry in log["requests"]
                    if entry.get("action") == "StopExecution" and entry.get("http_status") == 200}
    module_trials = []
    for name in names:
        execution = executions[name]
        if execution.get("Status") != "Stopped" or not execution.get("StoppedTime"):
            raise BenchError("execution {0} is {1} after the wait task".format(name, execution.get("Status")))
        stopped = parse_time(execution["StoppedTime"])
        record = records["wait " + name]
        module_trials.append({
            "name": name,
            "stop_accepted": stop_accepts.get(name),
            "stopped": stopped,
            "accept_to_stopped_s": (stopped - stop_accepts[name]) if name in stop_accepts else None,
            "task_returned": record["end"],
            "latency_s": record["end"] - stopped,
            "task_seconds": duration(record),
        })
    exits = {entry["label"][len("wait-"):]: entry["end"] for entry in runner.rss_entries()
             if str(entry.get("label")).startswith("wait-") and entry.get("end")}
    split_trials_out = []
    for name in split_names:
        execution = executions[name]
        if not execution.get("StoppedTime") or name not in exits:
            continue
        stopped = parse_time(execution["StoppedTime"])
        record = records["wait " + name]
        split_trials_out.append({
            "name": name,
            "latency_s": record["end"] - stopped,
            "module_process_exit_after_stopped_s": exits[name] - stopped,
            "controller_after_module_exit_s": record["end"] - exits[name],
        })
    for trial in poller + in_process:
        execution = executions[trial["name"]]
        trial["stopped"] = parse_time(execution["StoppedTime"]) if execution.get("StoppedTime") else None
        trial["latency_s"] = (trial["detected"] - trial["stopped"]) if trial["stopped"] and trial["detected"] else None
    latencies = [trial["latency_s"] for trial in module_trials]
    poll_latencies = [trial["latency_s"] for trial in poller if trial["latency_s"] is not None]
    long_polls = [entry for entry in log["requests"] if entry.get("action") == "DescribeExecution"
                  and entry.get("execution_name") in names and entry.get("wait_time_seconds")]
    return {
        "stop_delay_seconds": delay,
        "module": {
            "trials": module_trials,
            "mean_s": mean(latencies),
            "median_s": median(latencies),
            "max_s": max(latencies) if latencies else None,
            "long_polls_per_task": len(long_polls) / float(len(names)) if names else None,
        },
        "split": {
            "method": ("the same wait task run through the interpreter shim of figure 5, which records the moment the "
                       "module process exited (the shim adds its own exit, a few ms, to these trials)"),
            "trials": split_trials_out,
            "in_process_long_poll_trials": in_process,
            "in_process_long_poll_median_s": median([trial["latency_s"] for trial in in_process if trial["latency_s"] is not None]),
            "module_part_median_s": median([trial["module_process_exit_after_stopped_s"] for trial in split_trials_out]),
            "controller_part_median_s": median([trial["controller_after_module_exit_s"] for trial in split_trials_out]),
        },
        "fixed_5s_polling": {
            "method": ("reference poller in the bench process, using the collection's CloudFlowClient: StopExecution, "
                       "then plain DescribeExecution (no WaitTimeSeconds) every {0:g} s; the phase of the poll schedule "
                       "against the StopExecution is spread evenly over one interval ((i + 0.5) / n * {0:g} s for trial i "
                       "of n), so the expected latency is half an interval").format(POLL_INTERVAL),
            "trials": poller,
            "mean_s": mean(poll_latencies),
            "median_s": median(poll_latencies),
            "max_s": max(poll_latencies) if poll_latencies else None,
        },
    }


def collection_client(runner: Runner, emulator_url: str) -> t.Any:
    """A CloudFlowClient from the collection's own module_utils (imported through the collections dir)."""
    if runner.collections not in sys.path:
        sys.path.insert(0, runner.collections)
    from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import Credentials
    from ansible_collections.seed.cloudflow.plugins.module_utils._http import CloudFlowClient

    return CloudFlowClient(emulator_url, Credentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET, None, "bench"),
                           user_agent="seed.cloudflow-bench reference-poller", timeout=30.0)


def reference_poller(emulator: Emulator, runner: Runner, flow: str, names: t.Sequence[str], delay: float,
                     long_poll_names: t.Sequence[str] = ()) -> t.List[t.Dict[str, t.Any]]:
    """Fixed-interval polling trials (names) and, alongside, in-process long-poll trials (long_poll_names) that use
    the collection's own wait_until_finished: the latter isolate the long-poll wake-up from process and Ansible costs."""
    client = collection_client(runner, emulator.url)
    from ansible_collections.seed.cloudflow.plugins.module_utils._executions import wait_until_finished

    results: t.List[t.Dict[str, t.Any]] = []
    max_polls = int(math.ceil((delay + 2 * POLL_INTERVAL) / POLL_INTERVAL)) + 1

    def long_poll_trial(name: str) -> None:
        entry: t.Dict[str, t.Any] = {"name": name, "kind": "long-poll", "detected": None, "error": None}
        results.append(entry)
        try:
            client.call("StopExecution", {"FlowName": flow, "ExecutionName": name})
            execution = wait_until_finished(client, flow, name, delay + 30)
            entry["detected"] = time.time()
            entry["status"] = execution.get("Status")
        except Exception as error:  # pylint: disable=broad-except
            entry["error"] = "{0}: {1}".format(type(error).__name__, error)

    def trial(index: int, name: str) -> None:
        phase = (index + 0.5) / len(names) * POLL_INTERVAL
        entry: t.Dict[str, t.Any] = {"name": name, "kind": "fixed", "phase_s": phase, "polls": 0, "detected": None, "error": None}
        results.append(entry)
        try:
            sent = time.time()
            client.call("StopExecution", {"FlowName": flow, "ExecutionName": name})
            for poll in range(max_polls):
                pause = sent + phase + poll * POLL_INTERVAL - time.time()
                if pause > 0:
                    time.sleep(pause)
                reply = client.call("DescribeExecution", {"FlowName": flow, "ExecutionName": name})
                entry["polls"] += 1
                if reply.get("Status") in TERMINAL:
                    entry["detected"] = time.time()
                    return
            entry["error"] = "not Stopped after {0} polls".format(max_polls)
        except Exception as error:  # pylint: disable=broad-except
            entry["error"] = "{0}: {1}".format(type(error).__name__, error)

    threads = [threading.Thread(target=trial, args=(index, name), daemon=True) for index, name in enumerate(names)]
    threads += [threading.Thread(target=long_poll_trial, args=(name,), daemon=True) for name in long_poll_names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=delay + (max_polls + 2) * POLL_INTERVAL + 60)
    client.close()
    return sorted(results, key=lambda entry: entry["name"])


# ---------------------------------------------------------------------------------------------
# figure 4: bulk stop (and figure 5 bulk)


def bulk_ceiling(count: int, scale: float) -> t.Dict[str, float]:
    burst, rate = STOP_QUOTA[0] * scale, STOP_QUOTA[1] * scale
    return {"burst": burst, "rate_per_s": rate, "min_seconds": max(0.0, count - burst) / rate}


def figure_bulk(emulator: Emulator, runner: Runner, sizes: t.Sequence[int], loop_size: int) -> t.Dict[str, t.Any]:
    scale = BULK_QUOTA_SCALE
    runs = []
    for count in sizes:
        flow = "bulkflow"
        emulator.reset(quota_scale=scale)
        emulator.seed_bulk(flow, count, "b-")
        emulator.clear_requests()
        task = {"name": "bulk {0}".format(count),
                MODULE: {"flow_name": flow, "filters": {}, "state": "stopped", "quota_scale": scale}}
        task = with_rss(task, runner, "bulk-{0}".format(count))
        records = runner.run("bulk-{0}".format(count), [task], timeout=120 + count)
        record = records[0]
        log = emulator.requests()
        executions = emulator.executions(flow)
        stops = [entry for entry in log["requests"] if entry.get("action") == "StopExecution"]
        accepted = [parse_time(entry["time"]) for entry in stops if entry.get("http_status") == 200]
        ceiling = bulk_ceiling(count, scale)
        stop_phase = (max(accepted) - min(parse_time(entry["time"]) for entry in stops)) if accepted else None
        task_seconds = duration(record)
        not_stopped = sorted(name for name, entry in executions.items() if entry.get("Status") != "Stopped")
        run = {
            "n": count,
            "task_seconds": task_seconds,
            "stop_phase_seconds": stop_phase,
            "ceiling": ceiling,
            "requests_total": log["total"],
            "requests_by_action": log["counts"],
            "stop_requests": len(stops),
            "stop_accepted": len(accepted),
            "throttled_429": sum(1 for entry in log["requests"] if entry.get("http_status") == 429),
            "other_errors": sum(1 for entry in log["requests"] if entry.get("http_status") not in (200, 429)),
            "task_status": record["status"],
            "task_changed_count": record["result"].get("executions_changed"),
            "failed_executions": record["result"].get("failed_executions") or [],
            "not_stopped": len(not_stopped),
            "achieved_stops_per_s": (count / stop_phase) if stop_phase else None,
            "achieved_stops_per_s_task": count / task_seconds if task_seconds else None,
        }
        # An execution counts as a failed stop when the module reported it failed or it is not Stopped afterwards.
        run["failed_stops"] = len(set(run["failed_executions"]) | set(not_stopped))
        if ceiling["min_seconds"] > 0 and stop_phase:
            run["ceiling_stops_per_s"] = count / ceiling["min_seconds"]
            run["fraction_of_ceiling"] = ceiling["min_seconds"] / stop_phase
            run["fraction_of_ceiling_task"] = ceiling["min_seconds"] / task_seconds
            run["window_fraction"] = count / (ceiling["burst"] + ceiling["rate_per_s"] * stop_phase)
        else:
            run["ceiling_stops_per_s"] = None
            run["fraction_of_ceiling"] = None
            run["fraction_of_ceiling_task"] = None
            run["window_fraction"] = count / (ceiling["burst"] + ceiling["rate_per_s"] * stop_phase) if stop_phase else None
        runs.append(run)

    # The loop of single-execution tasks, on a smaller N, extrapolated linearly.
    flow = "loopflow"
    emulator.reset(quota_scale=scale)
    names = emulator.seed_bulk(flow, loop_size, "l-")
    emulator.clear_requests()
    task = {"name": "loop {0}".format(loop_size),
            MODULE: {"flow_name": flow, "name": "{{ item }}", "state": "stopped", "quota_scale": scale},
            "loop": names}
    record = runner.run("loop-{0}".format(loop_size), [task], timeout=120 + 10 * loop_size)[0]
    loop_seconds = duration(record)
    executions = emulator.executions(flow)
    loop = {
        "n": loop_size,
        "task_seconds": loop_seconds,
        "per_item_seconds": loop_seconds / loop_size,
        "items_changed": record["result"].get("items_changed"),
        "not_stopped": sum(1 for entry in executions.values() if entry.get("Status") != "Stopped"),
        "requests_total": emulator.requests()["total"],
        "method": "one task with loop: over {0} names (state=stopped, quota_scale {1:g}); time per item extrapolated "
                  "linearly to N".format(loop_size, scale),
    }
    for run in runs:
        run["loop_extrapolated_seconds"] = loop["per_item_seconds"] * run["n"]
        run["speedup_vs_loop"] = run["loop_extrapolated_seconds"] / run["task_seconds"] if run["task_seconds"] else None
    return {
        "quota_scale": scale,
        "module_quota_scale": scale,
        "concurrency": "module default (4)",
        "ceiling_formula": ("T_min(N) = max(0, N - B) / r with B = {0:g} x scale (burst) and r = {1:g} x scale per s "
                            "(refill): the earliest the N-th StopExecution can be accepted after the first. "
                            "fraction = T_min / T, T = time from the first StopExecution request to the last accepted one "
                            "(emulator request log). For N <= B the quota does not bind and no fraction is given."
                            ).format(STOP_QUOTA[0], STOP_QUOTA[1]),
        "runs": runs,
        "loop": loop,
    }


# ---------------------------------------------------------------------------------------------
# figure 6: waiting for a bulk stop (issue 11)

# Both sides' quotas are scaled by this factor for figures 6, 7 and 8. Small enough that every quota binds at N=500
# (DescribeExecution: burst 200, 20/s; StopExecution and the other actions: burst 40, 8/s), as at the real quotas.
WINDOW_QUOTA_SCALE = 4.0
DESCRIBE_QUOTA = (50.0, 5.0)
# The emulator applies each stop this long after accepting it, so that a wait has something to wait for.
WINDOW_STOP_DELAY = 1.0


def window_client(emulator_url: str, scale: float) -> t.Any:
    """A CloudFlowClient from the collection's module_utils, paced at the same scaled quotas as the module."""
    from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import Credentials
    from ansible_collections.seed.cloudflow.plugins.module_utils._http import CloudFlowClient

    return CloudFlowClient(emulator_url, Credentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET, None, "bench"),
                           user_agent="seed.cloudflow-bench bulk-wait", timeout=30.0, quota_scale=scale)


def log_figures(log: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
    requests = log["requests"]
    return {
        "requests_total": log["total"],
        "requests_by_action": dict(log["counts"]),
        "throttled_429": sum(1 for entry in requests if entry.get("http_status") == 429),
        "throttled_429_by_action": {action: sum(1 for entry in requests if entry.get("action") == action and entry.get("http_status") == 429)
                                    for action in sorted({str(entry.get("action")) for entry in requests})
                                    if any(entry.get("action") == action and entry.get("http_status") == 429 for entry in requests)},
        "other_errors": sum(1 for entry in requests if entry.get("http_status") not in (200, 429)),
    }


# The collection before the window module (issue 15): its quiesce role ran 4 + S modules per flow (schedule listing,
# one disable per enabled schedule, two in-progress listings and a stop), 1 + (3 + S) per flow with a flow prefix.
OLD_ROLE_COMMIT = "4bd5d6002436b760645ae77860a2dd91a007b3a3"
OLD_ROLE_PATHS = ("plugins", "roles", "meta", "galaxy.yml")
COLLECTION_PREFIX = "seed.cloudflow."
WINDOW_MODULE = "seed.cloudflow.cloudflow_window"
LISTING_ACTIONS = ("ListFlows", "ListSchedules", "ListExecutions")
# Figure 8's ceiling: the calls that close the door (select the flows, read and disable their schedules).
SCALE_CEILING_ACTIONS = ("ListFlows", "ListSchedules", "UpdateSchedule")
SCHEDULE_NAMES = ("hourly", "nightly")
# A cron that fires on 1 January only, so that no schedule fires during a run (and nothing starts behind the window).
SCHEDULE_CRON = "0 0 0 1 1 ?"


def quota(action: str) -> t.Tuple[float, float]:
    """The service quota of an action, (burst, refill per second), as the emulator and the client apply it."""
    if action == "StartExecution":
        return (100.0, 100.0)
    return DESCRIBE_QUOTA if action in ("DescribeExecution", "GetExecutionHistory") else STOP_QUOTA


def quota_ceiling(calls: float, action: str, scale: float) -> float:
    """max(0, calls - burst) / rate: the earliest the last of calls of one action can be accepted after the first."""
    burst, rate = quota(action)
    return max(0.0, calls - burst * scale) / (rate * scale)


def action_calls(log: t.Mapping[str, t.Any], scale: float) -> t.Dict[str, t.Dict[str, t.Any]]:
    """Calls, accepted calls, 429 answers and the quota ceiling of each action in the request log."""
    figures = log_figures(log)
    calls: t.Dict[str, t.Dict[str, t.Any]] = {}
    for action, count in sorted(figures["requests_by_action"].items()):
        # The ceiling counts the calls the work needs (the accepted ones), not the retries of throttled ones.
        accepted = sum(1 for entry in log["requests"] if entry.get("action") == action and entry.get("http_status") == 200)
        calls[action] = {"calls": count, "accepted": accepted, "throttled_429": figures["throttled_429_by_action"].get(action, 0),
                         "ceiling_seconds": quota_ceiling(accepted, action, scale)}
    return calls


def module_runs(records: t.Sequence[t.Mapping[str, t.Any]]) -> t.Dict[str, t.Any]:
    """The collection's module runs in a play, counted from the callback's task records: a task without a loop that
    was not skipped ran its module once, a task with a loop once per item that was not skipped."""
    by_module: t.Dict[str, int] = {}
    for record in records:
        action = str(record.get("action") or "")
        if not action.startswith(COLLECTION_PREFIX):
            continue
        if record.get("items_ran") or record.get("items_skipped"):
            runs = int(record.get("items_ran") or 0)
        else:
            runs = 1 if record.get("status") in ("ok", "failed") else 0
        by_module[action] = by_module.get(action, 0) + runs
    return {"total": sum(by_module.values()), "by_module": by_module}


def request_phases(log: t.Mapping[str, t.Any], start: float, end: float) -> t.Dict[str, t.Any]:
    """Where a window module run's time went, from the emulator's request log, in the module's order.

    Boundaries: the task's start, the first request, the last listing before the first write, the last
    UpdateSchedule, the last StopExecution, the last request, the task's end. Each phase runs from one boundary to the
    next (a missing one takes the one before), so the phases add up to the task's time; requests are counted in the
    phase in which they arrived.
    """
    entries = sorted(((parse_time(entry["time"]), entry) for entry in log["requests"]), key=lambda pair: pair[0])
    if not entries:
        return {"requests": 0, "phases": [{"phase": "no request", "seconds": end - start, "calls": {}}]}
    updates = [moment for moment, entry in entries if entry.get("action") == "UpdateSchedule"]
    stops = [moment for moment, entry in entries if entry.get("action") == "StopExecution"]
    first_write = min(updates + stops) if updates or stops else None
    listings = [moment for moment, entry in entries
                if entry.get("action") in LISTING_ACTIONS and (first_write is None or moment < first_write)]
    first_request, last_request = entries[0][0], entries[-1][0]
    read_end = max(listings) if listings else first_request
    disable_end = max(updates) if updates else read_end
    stop_end = max(stops) if stops else disable_end
    bounds = [
        ("start-up (to the first request)", start, first_request),
        ("reading (to the last listing before the first write)", first_request, read_end),
        ("disabling (to the last UpdateSchedule)", read_end, disable_end),
        ("stopping (to the last StopExecution)", disable_end, stop_end),
        ("waiting (to the last request)", stop_end, last_request),
        ("finishing (to the task's result)", last_request, end),
    ]
    counted: t.List[t.Dict[str, int]] = [{} for _bound in bounds]
    for moment, entry in entries:
        # the first phase (after start-up) that ends at or after the request's arrival
        index = next((index for index in range(1, len(bounds)) if moment <= bounds[index][2]), len(bounds) - 1)
        key = str(entry.get("action")) + (" (429)" if entry.get("http_status") == 429 else "")
        counted[index][key] = counted[index].get(key, 0) + 1
    phases = [{"phase": name, "seconds": max(0.0, finish - begin), "calls": dict(sorted(calls.items()))}
              for (name, begin, finish), calls in zip(bounds, counted)]
    return {"requests": len(entries), "phases": phases,
            "method": "boundaries from the emulator's request log (arrival times, ms) and the callback's task start and end"}


def quiesce_block(label: str, prefix: str, scale: float) -> t.Dict[str, t.Any]:
    """The quiesce role over every flow whose name starts with prefix, with the modules' quotas scaled like the emulator's."""
    return {
        "name": label,
        "module_defaults": {"group/seed.cloudflow.cloudflow": {"quota_scale": scale}},
        "block": [{"name": "quiesce", "ansible.builtin.import_role": {"name": "seed.cloudflow.quiesce"},
                   "vars": {"quiesce_flow_prefix": prefix, "quiesce_cause": "bench", "quiesce_wait_timeout": 600}}],
    }


def role_run(emulator: Emulator, runner: Runner, label: str, prefix: str, scale: float, timeout: float,
             env: t.Optional[t.Mapping[str, str]] = None) -> t.Dict[str, t.Any]:
    """Run the quiesce role once through the Runner; its time, module runs, calls per action and the schedules after it."""
    records = runner.run(label, [quiesce_block(label, prefix, scale)], timeout=timeout, env=env)
    finished = [record for record in records if record["end"] is not None]
    start = min(float(record["start"]) for record in finished)
    end = max(float(record["end"]) for record in finished)
    log = emulator.requests()
    figures = log_figures(log)
    runs = module_runs(records)
    failed_tasks = [record for record in records if record["status"] not in ("ok", "skipped")]
    schedules = [entry for entry in emulator.control("GET", "schedules")["schedules"] if str(entry.get("flow_name")).startswith(prefix)]
    result = {
        "role_seconds": end - start,
        "role_status": "ok" if not failed_tasks else "failed",
        "tasks": len(records),
        "module_runs": runs["total"],
        "module_runs_by_module": runs["by_module"],
        "module_runs_method": ("counted from the bench_timer callback's task records: each task whose action is a "
                               "seed.cloudflow module counts once, or once per loop item that ran; skipped tasks and "
                               "items count zero"),
        "calls": action_calls(log, scale),
        "requests_total": figures["requests_total"],
        "throttled_429": figures["throttled_429"],
        "other_errors": figures["other_errors"],
        # A 429 fails something only when the module gives up after its retries: the task then fails.
        "failed_by_429": len(failed_tasks),
        "schedules_seen": len(schedules),
        "schedules_disabled": sum(1 for entry in schedules if not entry.get("Enable")),
    }
    window_tasks = [record for record in finished if record.get("action") == WINDOW_MODULE]
    if len(window_tasks) == 1:
        task = window_tasks[0]
        result["window_task_seconds"] = duration(task)
        result["phases"] = request_phases(log, float(task["start"]), float(task["end"]))
    return result


def seed_schedules(emulator: Emulator, flow: str) -> None:
    for schedule in SCHEDULE_NAMES:
        emulator.control("POST", "schedules", {"flow_name": flow, "name": schedule, "cron_expression": SCHEDULE_CRON,
                                               "payload": {"schedule": schedule}, "enable": True})


def figure_quiesce(emulator: Emulator, runner: Runner, flows: int, per_flow: int) -> t.Dict[str, t.Any]:
    """One quiesce role run over flows x per_flow Running executions, each flow with two enabled schedules."""
    scale = WINDOW_QUOTA_SCALE
    emulator.reset(quota_scale=scale, stop_delay_seconds=WINDOW_STOP_DELAY)
    flow_names = ["qf-{0:02d}".format(index) for index in range(flows)]
    for flow in flow_names:
        emulator.seed_bulk(flow, per_flow, "q-")
        seed_schedules(emulator, flow)
    emulator.clear_requests()
    run = role_run(emulator, runner, "quiesce-{0}x{1}".format(flows, per_flow), "qf-", scale, timeout=900)
    calls = run["calls"]
    ceiling = max(entry["ceiling_seconds"] for entry in calls.values()) if calls else 0.0
    not_stopped = sum(1 for flow in flow_names for entry in emulator.executions(flow).values() if entry.get("Status") != "Stopped")
    return dict(
        run,
        flows=flows,
        executions_per_flow=per_flow,
        schedules_enabled=len(SCHEDULE_NAMES) * flows,
        quota_scale=scale,
        module_quota_scale=scale,
        stop_delay_seconds=WINDOW_STOP_DELAY,
        ceiling_seconds=ceiling,
        ceiling_formula=("max over actions of max(0, accepted calls - burst) / rate, burst and rate scaled by {0:g}; the role's "
                         "time runs from its first task's start to its last task's result").format(scale),
        ratio_to_ceiling=run["role_seconds"] / ceiling if ceiling else None,
        executions_stopped=flows * per_flow - not_stopped,
        not_stopped=not_stopped,
        targets={"ratio_to_ceiling": 1.10, "throttled_429": 10, "module_runs": 1},
    )


def old_collection(workdir: str) -> t.Tuple[t.Optional[str], str]:
    """The collection as it was at OLD_ROLE_COMMIT, extracted from git into a collections directory of its own.

    Returns (the directory for ANSIBLE_COLLECTIONS_PATH, how it was made), or (None, why not) when git or the
    commit is not there (an exported tarball, a shallow clone)."""
    try:
        found = subprocess.run(["git", "-C", REPO, "rev-parse", "--verify", "--quiet", OLD_ROLE_COMMIT + "^{commit}"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        return None, "git could not be run ({0}): no git history to take commit {1} from".format(error, OLD_ROLE_COMMIT[:7])
    if found.returncode != 0:
        return None, ("commit {0} is not in this checkout's git history (an exported tarball or a shallow clone?)"
                      .format(OLD_ROLE_COMMIT[:7]))
    root = os.path.join(workdir, "old-collections")
    target = os.path.join(root, "ansible_collections", "seed", "cloudflow")
    os.makedirs(target)
    archived = subprocess.run(["git", "-C", REPO, "archive", "--format=tar", OLD_ROLE_COMMIT, *OLD_ROLE_PATHS],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, timeout=120)
    if archived.returncode != 0:
        return None, "git archive {0} failed: {1}".format(OLD_ROLE_COMMIT[:7], archived.stderr.decode("utf-8", "replace")[-500:])
    with tarfile.open(fileobj=io.BytesIO(archived.stdout)) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(target, filter="data")
        else:  # Python before 3.12 without the backported filters; the archive is this repository's own
            archive.extractall(target)
    return root, "git archive {0} {1} into a temporary ansible_collections/seed/cloudflow".format(
        OLD_ROLE_COMMIT[:7], " ".join(OLD_ROLE_PATHS))


def scale_ceilings(run: t.Mapping[str, t.Any], scale: float) -> t.Dict[str, t.Any]:
    """Figure 8's ceilings for one run's accepted calls."""
    calls = run["calls"]
    accepted = {action: calls.get(action, {}).get("accepted", 0) for action in SCALE_CEILING_ACTIONS}
    per_action = {action: quota_ceiling(count, action, scale) for action, count in accepted.items()}
    ceiling = max(per_action.values())
    # If the service shared one "other operations" bucket, every call of the three would draw on it.
    shared = quota_ceiling(sum(accepted.values()), "ListFlows", scale)
    listed = calls.get("ListExecutions", {})
    list_ceiling = quota_ceiling(listed.get("accepted", 0), "ListExecutions", scale)
    # The window lists the flows, then reads each flow's schedules and executions (two buckets drained side by side),
    # then disables: with phases that do not overlap, each phase takes at least the ceiling of its slowest action.
    phase_bound = per_action["ListFlows"] + max(per_action["ListSchedules"], list_ceiling) + per_action["UpdateSchedule"]
    seconds = run["role_seconds"]
    return {
        "ceiling_per_action_seconds": per_action,
        "ceiling_seconds": ceiling,
        "ratio_to_ceiling": seconds / ceiling if ceiling else None,
        "shared_bucket_ceiling_seconds": shared,
        "ratio_to_shared_bucket_ceiling": seconds / shared if shared else None,
        "list_executions_calls": listed.get("calls", 0),
        "list_executions_accepted": listed.get("accepted", 0),
        "list_executions_ceiling_seconds": list_ceiling,
        "list_executions_share_of_requests": listed.get("calls", 0) / float(run["requests_total"]) if run["requests_total"] else None,
        "ceiling_with_list_executions_seconds": max(ceiling, list_ceiling),
        "shared_bucket_ceiling_with_list_executions_seconds": quota_ceiling(sum(accepted.values()) + listed.get("accepted", 0),
                                                                            "ListFlows", scale),
        "phase_ordered_bound_seconds": phase_bound,
    }


def figure_window_scale(emulator: Emulator, runner: Runner, workdir: str, flows: int) -> t.Dict[str, t.Any]:
    """Quiesce of flows x 2 enabled schedules with nothing running: the role now (one cloudflow_window run), and the
    role as it was at OLD_ROLE_COMMIT on the same seeded state in the same run."""
    scale = WINDOW_QUOTA_SCALE
    prefix = "sf-"
    flow_names = ["{0}{1:03d}".format(prefix, index) for index in range(flows)]

    def seed() -> None:
        emulator.reset(quota_scale=scale, stop_delay_seconds=WINDOW_STOP_DELAY)
        for flow in flow_names:
            seed_schedules(emulator, flow)
        emulator.clear_requests()

    seed()
    new = role_run(emulator, runner, "window-scale-{0}".format(flows), prefix, scale, timeout=600 + flows * 3)
    new.update(scale_ceilings(new, scale))
    result: t.Dict[str, t.Any] = {
        "flows": flows,
        "schedules_enabled": len(SCHEDULE_NAMES) * flows,
        "executions_in_progress": 0,
        "quota_scale": scale,
        "module_quota_scale": scale,
        "ceiling_actions": list(SCALE_CEILING_ACTIONS),
        "ceiling_formula": ("max over ListFlows, ListSchedules, UpdateSchedule of max(0, accepted calls - burst) / rate, "
                            "burst {0:g} and rate {1:g}/s (each action's own quota, scaled by {2:g}, as the emulator "
                            "applies it)").format(STOP_QUOTA[0] * scale, STOP_QUOTA[1] * scale, scale),
        "shared_bucket_formula": ("max(0, sum of the three actions' accepted calls - burst) / rate: what one bucket shared "
                                  "by the service's other operations would allow (the reference leaves open whether the "
                                  "quota is per action or shared)"),
        "list_executions_formula": "max(0, accepted ListExecutions - burst) / rate, the same quota",
        "phase_ordered_bound_formula": ("ListFlows ceiling + max(ListSchedules ceiling, ListExecutions ceiling) + "
                                        "UpdateSchedule ceiling: the window lists the flows, reads every flow's schedules "
                                        "and in-progress executions, then disables (phases one after the other)"),
        "new": new,
    }
    old_root, how = old_collection(workdir)
    result["old_method"] = how
    if old_root is None:
        result["old"] = {"skipped": how}
        return result
    seed()
    expected = 1 + flows * (3 + len(SCHEDULE_NAMES))
    try:
        old = role_run(emulator, runner, "window-scale-{0}-old".format(flows), prefix, scale, timeout=300 + expected * 3,
                       env={"ANSIBLE_COLLECTIONS_PATH": old_root})
    except BenchError as error:
        result["old"] = {"error": str(error)}
        return result
    if WINDOW_MODULE in old["module_runs_by_module"]:
        result["old"] = {"error": "the play ran {0}: ANSIBLE_COLLECTIONS_PATH did not select the copy at {1}".format(
            WINDOW_MODULE, OLD_ROLE_COMMIT[:7])}
        return result
    old.update(scale_ceilings(old, scale))
    old["commit"] = OLD_ROLE_COMMIT
    old["module_runs_expected"] = expected
    result["old"] = old
    result["speedup"] = old["role_seconds"] / new["role_seconds"] if new["role_seconds"] else None
    return result


def figure_bulk_wait(emulator: Emulator, runner: Runner, count: int) -> t.Dict[str, t.Any]:
    """Bulk stop of N with wait=true: the module (ListExecutions watch) against the per-execution long-poll."""
    scale = WINDOW_QUOTA_SCALE
    stop_burst, stop_rate = STOP_QUOTA[0] * scale, STOP_QUOTA[1] * scale
    ceiling = max(0.0, count - stop_burst) / stop_rate
    describe_ceiling = max(0.0, count - DESCRIBE_QUOTA[0] * scale) / (DESCRIBE_QUOTA[1] * scale)
    flow = "waitflow"
    emulator.reset(quota_scale=scale, stop_delay_seconds=WINDOW_STOP_DELAY)
    emulator.seed_bulk(flow, count, "w-")
    emulator.clear_requests()
    task = {"name": "bulk wait {0}".format(count),
            MODULE: {"flow_name": flow, "filters": {}, "state": "stopped", "quota_scale": scale, "wait": True,
                     "wait_timeout": int(ceiling * 3 + 120)}}
    record = runner.run("bulk-wait-{0}".format(count), [task], timeout=ceiling * 3 + 300)[0]
    executions = emulator.executions(flow)
    module = dict(log_figures(emulator.requests()), task_seconds=duration(record), task_status=record["status"],
                  not_stopped=sum(1 for entry in executions.values() if entry.get("Status") != "Stopped"))

    # The per-execution long-poll (the wait before issue 11), in this process, through the same library.
    if runner.collections not in sys.path:
        sys.path.insert(0, runner.collections)
    from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import stop_in_progress

    emulator.reset(quota_scale=scale, stop_delay_seconds=WINDOW_STOP_DELAY)
    emulator.seed_bulk(flow, count, "w-")
    emulator.clear_requests()
    client = window_client(emulator.url, scale)
    started = time.monotonic()
    try:
        outcome = stop_in_progress(client, flow, wait=True, wait_timeout=ceiling * 3 + 120, wait_strategy="long_poll")
    finally:
        client.close()
    old_seconds = time.monotonic() - started
    executions = emulator.executions(flow)
    long_poll = dict(log_figures(emulator.requests()), task_seconds=old_seconds, failed=len(outcome.failed),
                     not_stopped=sum(1 for entry in executions.values() if entry.get("Status") != "Stopped"))
    return {
        "n": count,
        "quota_scale": scale,
        "module_quota_scale": scale,
        "stop_delay_seconds": WINDOW_STOP_DELAY,
        "stop_ceiling_seconds": ceiling,
        "describe_ceiling_seconds": describe_ceiling,
        "ceiling_formula": "(N - burst) / rate for StopExecution, burst {0:g} and rate {1:g}/s after scaling".format(stop_burst, stop_rate),
        "module": dict(module, ratio_to_ceiling=module["task_seconds"] / ceiling if ceiling else None),
        "long_poll_in_process": dict(long_poll, ratio_to_ceiling=old_seconds / ceiling if ceiling else None),
        "method": ("module: one cloudflow_execution task (filters: {{}}, wait: true) through ansible-playbook; long-poll: "
                   "stop_in_progress(wait_strategy='long_poll') called in the benchmark process (no process start-up), "
                   "one DescribeExecution long-poll per execution; emulator and clients at quota_scale {0:g}").format(scale),
    }


def window_rows(figures: t.Mapping[str, t.Any]) -> t.List[t.Dict[str, str]]:
    """Rows of figures 6 and 7, in the table's shape."""
    rows: t.List[t.Dict[str, str]] = []

    def row(figure: str, metric: str, value: str, target: str = "", ok: t.Optional[bool] = None) -> None:
        rows.append({"figure": figure, "metric": metric, "value": value, "target": target,
                     "verdict": verdict(ok) if target else ""})

    six = figures.get("bulk_wait")
    if six and "error" not in six:
        label = "N={0}, quota_scale {1:g}".format(six["n"], six["quota_scale"])
        module, old = six["module"], six["long_poll_in_process"]
        ratio = module["ratio_to_ceiling"]
        row("6 bulk wait", label + ": task time vs StopExecution ceiling {0}".format(fmt_s(six["stop_ceiling_seconds"], 1)),
            "{0} = {1}".format(fmt_s(module["task_seconds"], 2), "{0:.2f}x".format(ratio) if ratio else "n/a"),
            "<= 1.10x", None if ratio is None else ratio <= 1.10)
        describes = module["requests_by_action"].get("DescribeExecution", 0)
        row("6 bulk wait", label + ": DescribeExecution calls", str(describes), "<= {0:g}".format(six["n"] / 10),
            describes <= six["n"] / 10)
        row("6 bulk wait", label + ": ListExecutions / StopExecution calls, 429s, not stopped", "{0} / {1}, {2}, {3}".format(
            module["requests_by_action"].get("ListExecutions", 0), module["requests_by_action"].get("StopExecution", 0),
            module["throttled_429"], module["not_stopped"]))
        old_ratio = old["ratio_to_ceiling"]
        row("6 bulk wait", label + ": per-execution long-poll (before), in process: time, DescribeExecution calls",
            "{0} = {1}, {2}".format(fmt_s(old["task_seconds"], 2), "{0:.2f}x".format(old_ratio) if old_ratio else "n/a",
                                    old["requests_by_action"].get("DescribeExecution", 0)))
    elif six:
        row("6 bulk wait", "not measured", six["error"])
    seven = figures.get("quiesce")
    if seven and "error" not in seven:
        label = "{0} flows x {1} executions, {2} schedules".format(seven["flows"], seven["executions_per_flow"], seven["schedules_enabled"])
        targets = seven.get("targets") or {}
        ratio = seven["ratio_to_ceiling"]
        row("7 quiesce", label + ": role time vs ceiling {0}".format(fmt_s(seven["ceiling_seconds"], 1)),
            "{0} = {1}".format(fmt_s(seven["role_seconds"], 2), "{0:.2f}x".format(ratio) if ratio else "n/a"),
            "<= {0:.2f}x".format(targets.get("ratio_to_ceiling", 1.10)),
            None if ratio is None else ratio <= targets.get("ratio_to_ceiling", 1.10))
        row("7 quiesce", "429 answers (all actions)", str(seven["throttled_429"]),
            "<= {0}".format(targets.get("throttled_429", 10)), seven["throttled_429"] <= targets.get("throttled_429", 10))
        row("7 quiesce", "module runs per window (counted from the task records)", "{0} ({1})".format(
            seven["module_runs"], ", ".join("{0} {1}".format(count, name[len(COLLECTION_PREFIX):])
                                            for name, count in sorted(seven["module_runs_by_module"].items())) or "none"),
            "== {0}".format(targets.get("module_runs", 1)), seven["module_runs"] == targets.get("module_runs", 1))
        for action, entry in sorted(seven["calls"].items()):
            row("7 quiesce", "{0}: calls, accepted (429s), ceiling".format(action), "{0}, {1} ({2}), {3}".format(
                entry["calls"], entry["accepted"], entry["throttled_429"], fmt_s(entry["ceiling_seconds"], 1)))
        if seven.get("phases"):
            row("7 quiesce", "cloudflow_window task {0}: phases".format(fmt_s(seven.get("window_task_seconds"), 2)),
                phase_text(seven["phases"]))
        row("7 quiesce", label + ": failures caused by 429 / schedules disabled / executions stopped", "{0} / {1} / {2}".format(
            seven["failed_by_429"], seven["schedules_disabled"], seven["executions_stopped"]), "0 failed",
            seven["failed_by_429"] == 0 and seven["role_status"] == "ok")
    elif seven:
        row("7 quiesce", "not measured", seven["error"])
    eight = figures.get("window_scale")
    if eight and "error" not in eight:
        name = "8 window at scale"
        new = eight["new"]
        label = "{0} flows x 2 schedules, nothing running".format(eight["flows"])
        ratio, shared_ratio = new["ratio_to_ceiling"], new["ratio_to_shared_bucket_ceiling"]
        row(name, label + ": role time vs ceiling {0} (max over ListFlows, ListSchedules, UpdateSchedule)".format(
            fmt_s(new["ceiling_seconds"], 1)),
            "{0} = {1}".format(fmt_s(new["role_seconds"], 2), "{0:.2f}x".format(ratio) if ratio else "n/a (the quota does not bind)"))
        row(name, "role time vs one shared bucket for the three actions {0}".format(fmt_s(new["shared_bucket_ceiling_seconds"], 1)),
            "{0:.2f}x".format(shared_ratio) if shared_ratio else "n/a (the quota does not bind)")
        for action in eight["ceiling_actions"]:
            entry = new["calls"].get(action, {"calls": 0, "accepted": 0, "throttled_429": 0, "ceiling_seconds": 0.0})
            row(name, "{0}: calls, accepted (429s), ceiling".format(action), "{0}, {1} ({2}), {3}".format(
                entry["calls"], entry["accepted"], entry["throttled_429"], fmt_s(entry["ceiling_seconds"], 1)))
        share = new["list_executions_share_of_requests"]
        row(name, "ListExecutions (two per flow: is anything in progress?): calls, ceiling, share of requests",
            "{0}, {1}, {2}".format(new["list_executions_calls"], fmt_s(new["list_executions_ceiling_seconds"], 1),
                                   "{0:.0%}".format(share) if share is not None else "n/a"))
        row(name, "bound with the window's phases in order (flows, then schedules and executions, then disable)",
            "{0} ({1:.2f}x)".format(fmt_s(new["phase_ordered_bound_seconds"], 1),
                                    new["role_seconds"] / new["phase_ordered_bound_seconds"]) if new["phase_ordered_bound_seconds"] else "n/a")
        if new.get("phases"):
            row(name, "cloudflow_window task {0}: phases".format(fmt_s(new.get("window_task_seconds"), 2)), phase_text(new["phases"]))
        row(name, "module runs / requests / 429s", "{0} / {1} / {2}".format(new["module_runs"], new["requests_total"], new["throttled_429"]))
        row(name, "schedules disabled / role status", "{0} of {1} / {2}".format(
            new["schedules_disabled"], eight["schedules_enabled"], new["role_status"]), "all disabled",
            new["schedules_disabled"] == eight["schedules_enabled"] and new["role_status"] == "ok")
        old = eight.get("old") or {}
        before = "role at {0} (before cloudflow_window)".format(OLD_ROLE_COMMIT[:7])
        if "skipped" in old or "error" in old:
            row(name, before, "not measured: " + (old.get("skipped") or old.get("error") or ""))
        elif old:
            row(name, before + ": role time, same seeded state", "{0} ({1} its ceiling {2})".format(
                fmt_s(old["role_seconds"], 2), "{0:.2f}x".format(old["ratio_to_ceiling"]) if old["ratio_to_ceiling"] else "n/a:",
                fmt_s(old["ceiling_seconds"], 1)))
            row(name, before + ": module runs / requests / 429s", "{0} / {1} / {2}".format(
                old["module_runs"], old["requests_total"], old["throttled_429"]))
            by_action = ", ".join("{0} {1}".format(action, entry["calls"]) for action, entry in sorted(old["calls"].items()))
            row(name, before + ": calls by action", by_action)
            row(name, before + ": schedules disabled / role status", "{0} of {1} / {2}".format(
                old["schedules_disabled"], eight["schedules_enabled"], old["role_status"]))
            row(name, "speed-up of the role now over the role before", "{0:.1f}x".format(eight["speedup"]) if eight.get("speedup") else "n/a")
    elif eight:
        row("8 window at scale", "not measured", eight["error"])
    return rows


def phase_text(phases: t.Mapping[str, t.Any]) -> str:
    """The phases of a window run as 'start-up 0.41 s, reading 12.3 s (ListExecutions 400, ...), ...'."""
    parts = []
    for phase in phases.get("phases", []):
        calls = ", ".join("{0} {1}".format(action, count) for action, count in phase["calls"].items())
        parts.append("{0} {1}{2}".format(phase["phase"].split(" (")[0], fmt_s(phase["seconds"], 2), " ({0})".format(calls) if calls else ""))
    return "; ".join(parts)


def window_method_paragraphs() -> t.List[str]:
    return [
        "6. **Bulk wait.** N Running executions are seeded in an emulator that applies each stop {0:g} s after".format(WINDOW_STOP_DELAY),
        "   accepting it, with every quota scaled by {0:g} on both sides. One ``cloudflow_execution`` task with".format(WINDOW_QUOTA_SCALE),
        "   ``filters: {}`` and ``wait: true`` stops and waits for them; its time, from the callback, is compared with the",
        "   StopExecution ceiling ``(N - burst) / rate``. The same stop with one ``DescribeExecution`` long-poll per",
        "   execution (the wait before the paged watch) runs in the benchmark process through the same library.",
        "7. **Quiesce.** Flows with Running executions and two enabled schedules each; one ``seed.cloudflow.quiesce``",
        "   run over all of them (disable the schedules, stop, wait), quotas scaled on both sides. The role's time runs",
        "   from its first task's start to its last task's result. The ceiling is the largest, over the actions, of",
        "   ``max(0, accepted calls - burst) / rate`` (each action has its own quota); calls and 429 answers per action",
        "   come from the emulator's request log. Module runs are counted from the callback's task records (each task",
        "   whose action is a ``seed.cloudflow`` module counts once, or once per loop item that ran), not assumed. The",
        "   phases of the ``cloudflow_window`` task are cut at the first request, the last listing before the first",
        "   write, the last ``UpdateSchedule``, the last ``StopExecution`` and the last request, from the request log.",
        "8. **Window at scale.** Flows with two enabled schedules each and nothing running, quiesced through the role",
        "   (found with a flow prefix), quotas scaled by {0:g} on both sides (burst {1:g}, {2:g} per second for each of".format(
            WINDOW_QUOTA_SCALE, STOP_QUOTA[0] * WINDOW_QUOTA_SCALE, STOP_QUOTA[1] * WINDOW_QUOTA_SCALE),
        "   the actions below). The ceiling is the largest, over",
        "   ``ListFlows``, ``ListSchedules`` and ``UpdateSchedule``, of ``max(0, accepted calls - burst) / rate``, as the",
        "   emulator applies one quota per action; the table also gives ``max(0, sum of their accepted calls - burst) /",
        "   rate``, which would hold if the service drew them from one shared bucket (the reference leaves this open).",
        "   The two ``ListExecutions`` per flow that show nothing is running have their own ceiling, given beside it,",
        "   and the window's phases in order (list the flows; read schedules and executions; disable) give a third",
        "   bound, the sum of each phase's largest ceiling. In the same run the emulator is reset and seeded again and",
        "   the role as it was at commit {0} (before ``cloudflow_window``: one module run per listing, per".format(OLD_ROLE_COMMIT[:7]),
        "   schedule and per flow's stop) runs through the same playbook runner, from a copy that ``git archive``",
        "   extracts into a temporary collections directory; without git history that comparison is skipped.",
    ]


# ---------------------------------------------------------------------------------------------
# report


def fmt_s(value: t.Optional[float], digits: int = 3) -> str:
    return "n/a" if value is None else "{0:.{1}f} s".format(value, digits)


def verdict(ok: t.Optional[bool]) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def build_rows(results: t.Dict[str, t.Any], quick: bool) -> t.List[t.Dict[str, str]]:
    rows: t.List[t.Dict[str, str]] = []

    def row(figure: str, metric: str, value: str, target: str = "", ok: t.Optional[bool] = None) -> None:
        rows.append({"figure": figure, "metric": metric, "value": value, "target": target,
                     "verdict": verdict(ok) if target else ""})

    figures = results["figures"]
    one = figures.get("task_cost")
    if one and "error" not in one:
        cost = one["task_cost"]
        row("1 task cost", "ping task, median of {0}".format(cost["pairs"]), fmt_s(cost["ping_median_s"]))
        row("1 task cost", "stop task (Running -> Stopped), median of {0}".format(cost["pairs"]), fmt_s(cost["stop_median_s"]))
        ratio = cost["ratio"]
        row("1 task cost", "stop / ping", "{0:.2f}x".format(ratio) if ratio else "n/a", "<= 1.30x",
            None if ratio is None else ratio <= 1.3)
    elif one:
        row("1 task cost", "not measured", one["error"])
    split = figures.get("module_split")
    if split and "error" not in split:
        m = split["median_s"]
        row("1 module split", "imports: httpx + httpcore / ansible basic / collection", "{0:.0f} + {1:.0f} / {2:.0f} / {3:.0f} ms".format(
            m["import_httpx"] * 1000, m["import_httpcore"] * 1000, m["import_basic"] * 1000, m["import_collection"] * 1000))
        row("1 module split", "argument handling / client setup", "{0:.1f} / {1:.1f} ms".format(m["args"] * 1000, m["client"] * 1000))
        row("1 module split", "HTTP (Describe + Stop) / exit_json", "{0:.1f} / {1:.1f} ms".format(m["http"] * 1000, m["exit"] * 1000))
        row("1 module split", "process wall (incl. interpreter start)", "{0:.0f} ms".format(m["process_wall"] * 1000))
    elif split:
        row("1 module split", "not measured", split["error"])
    if one and "error" not in one:
        for key, entry in one["calls"].items():
            value = "{0:g} requests ({1:g} read, {2:g} write)".format(entry["requests"], entry["reads"], entry["writes"])
            target = entry.get("target")
            ok = None
            if target == "1 request":
                ok = entry["requests"] == 1 and entry["writes"] == 0
            elif target == "2 requests":
                ok = entry["requests"] == 2 and entry["writes"] == 1
            elif target == "reads only":
                ok = entry["writes"] == 0 and entry["requests"] >= 1
            row("2 calls", entry["label"], value, target or "", ok)
    three = figures.get("wait")
    if three and "error" not in three:
        module = three["module"]
        poller = three["fixed_5s_polling"]
        row("3 wait latency", "module wait=true, D = {0:g} s: mean / median (n={1})".format(
            three["stop_delay_seconds"], len(module["trials"])),
            "{0} / {1} (max {2})".format(fmt_s(module["mean_s"]), fmt_s(module["median_s"]), fmt_s(module["max_s"])),
            "<= 0.25 s (median)", None if module["median_s"] is None else (module["median_s"] <= 0.25))
        split = three.get("split") or {}
        if split.get("in_process_long_poll_trials"):
            row("3 wait latency", "split: long-poll wake-up alone, in process (median, n={0})".format(
                len(split["in_process_long_poll_trials"])), fmt_s(split["in_process_long_poll_median_s"]))
        if split.get("trials"):
            row("3 wait latency", "split: Stopped -> module process exit / exit -> task result (median, n={0})".format(
                len(split["trials"])), "{0} / {1}".format(fmt_s(split["module_part_median_s"]),
                                                          fmt_s(split["controller_part_median_s"])))
        row("3 wait latency", "fixed 5 s polling: mean / median (n={0})".format(len(poller["trials"])),
            "{0} / {1}".format(fmt_s(poller["mean_s"]), fmt_s(poller["median_s"])), "~2.5 s (reference)")
    elif three:
        row("3 wait latency", "not measured", three["error"])
    four = figures.get("bulk")
    if four and "error" not in four:
        for run in four["runs"]:
            label = "bulk N={0}".format(run["n"])
            if run["fraction_of_ceiling"] is not None:
                row("4 bulk stop", label + ": stops/s achieved vs ceiling",
                    "{0:.1f} vs {1:.1f}/s = {2:.0%}".format(run["achieved_stops_per_s"], run["ceiling_stops_per_s"],
                                                            run["fraction_of_ceiling"]),
                    ">= 85%", run["fraction_of_ceiling"] >= 0.85)
            else:
                row("4 bulk stop", label + ": stops/s achieved (quota not binding, N <= burst {0:g})".format(
                    run["ceiling"]["burst"]), "{0:.1f}/s".format(run["achieved_stops_per_s"] or 0.0))
            row("4 bulk stop", label + ": task time / 429s / failed stops", "{0} / {1} / {2}".format(
                fmt_s(run["task_seconds"], 2), run["throttled_429"], run["failed_stops"]), "0 failed", run["failed_stops"] == 0)
            counts = run["requests_by_action"]
            row("4 bulk stop", label + ": requests (ListExecutions / StopExecution incl. retries)", "{0} ({1} / {2})".format(
                run["requests_total"], counts.get("ListExecutions", 0), counts.get("StopExecution", 0)))
            target = ">= 20x" if run["n"] == 500 else ""
            row("4 bulk stop", label + ": vs loop of single tasks (extrapolated {0})".format(fmt_s(run["loop_extrapolated_seconds"], 1)),
                "{0:.1f}x faster".format(run["speedup_vs_loop"]), target,
                (run["speedup_vs_loop"] >= 20) if target else None)
        loop = four["loop"]
        row("4 bulk stop", "loop of single tasks, N={0} (measured)".format(loop["n"]), "{0} ({1} per item)".format(
            fmt_s(loop["task_seconds"], 2), fmt_s(loop["per_item_seconds"], 3)))
    elif four:
        row("4 bulk stop", "not measured", four["error"])
    five = figures.get("memory")
    if five and "error" not in five:
        for key, label, limit in (("ping", "ping task (reference)", None), ("single-stop", "single stop", 64)):
            entry = five["peak_rss_mib"].get(key)
            if entry is None:
                row("5 memory", label, "not measured")
                continue
            row("5 memory", "peak RSS, " + label, "{0:.1f} MiB".format(entry), "<= {0} MiB".format(limit) if limit else "",
                (entry <= limit) if limit else None)
        bulk_keys = sorted((key for key in five["peak_rss_mib"] if key.startswith("bulk-")), key=lambda key: int(key[5:]))
        for key in bulk_keys:
            count = int(key[5:])
            target = "<= 96 MiB" if count == 500 else ""
            row("5 memory", "peak RSS, bulk stop N={0}".format(count), "{0:.1f} MiB".format(five["peak_rss_mib"][key]),
                target, (five["peak_rss_mib"][key] <= 96) if target else None)
        if not any(key == "bulk-500" for key in bulk_keys):
            row("5 memory", "peak RSS, bulk stop N=500", "not measured (quick run)" if quick else "not measured", "<= 96 MiB", None)
    elif five:
        row("5 memory", "not measured", five["error"])
    rows += window_rows(figures)
    return rows


def print_table(rows: t.Sequence[t.Mapping[str, str]]) -> None:
    headers = ("figure", "metric", "value", "target", "verdict")
    widths = [max(len(header), *(len(row[header]) for row in rows)) if rows else len(header) for header in headers]
    line = "  ".join(header.ljust(width) for header, width in zip(headers, widths))
    print(line)
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print("  ".join(row[header].ljust(width) for header, width in zip(headers, widths)))


def machine_info() -> t.Dict[str, t.Any]:
    memory = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    memory = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    versions: t.Dict[str, t.Any] = {}
    try:
        from ansible.release import __version__ as core_version
        versions["ansible_core"] = core_version
    except ImportError:
        versions["ansible_core"] = None
    try:
        import httpx
        versions["httpx"] = httpx.__version__
    except ImportError:
        versions["httpx"] = None
    try:
        import uvicorn
        import starlette
        versions["emulator_uvicorn"] = uvicorn.__version__
        versions["emulator_starlette"] = starlette.__version__
    except ImportError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_total_mib": round(memory) if memory else None,
        "platform": platform.platform(),
        "python_controller": platform.python_version(),
        "python_module": platform.python_version() + " (implicit localhost uses the controller's interpreter)",
        "python_emulator": platform.python_version(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **versions,
    }


# ---------------------------------------------------------------------------------------------
# chart (hand-written SVG)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def svg_label(x: float, y: float, text: str, anchor: str, color: str) -> str:
    """Text on a white box (approximate width: 7 px per character at font size 12)."""
    box_w = len(text) * 7.0 + 6
    box_x = x - 3 if anchor == "start" else x - box_w + 3
    return ('<rect x="{0:.1f}" y="{1:.1f}" width="{2:.1f}" height="16" fill="#ffffff" fill-opacity="0.85"/>'
            '<text x="{3:.1f}" y="{4:.1f}" text-anchor="{5}" fill="{6}">{7}</text>').format(
                box_x, y - 12, box_w, x, y, anchor, color, escape(text))


def render_svg(bulk: t.Mapping[str, t.Any]) -> str:
    """Stops per second over N on a logarithmic axis: the quota ceiling, the measured points, the loop."""
    width, height = 780, 560
    left, right, top = 70, 30, 50
    plot_w, plot_h = width - left - right, 320
    runs = bulk["runs"]
    scale = bulk["quota_scale"]
    burst, rate = STOP_QUOTA[0] * scale, STOP_QUOTA[1] * scale
    max_n = max([run["n"] for run in runs] + [int(burst * 1.5)])
    x_max = math.ceil(max_n * 1.1 / 100.0) * 100.0
    loop = bulk.get("loop") or {}
    loop_rate = 1.0 / loop["per_item_seconds"] if loop.get("per_item_seconds") else None
    values = [v for run in runs for v in (run["achieved_stops_per_s"], run["achieved_stops_per_s_task"]) if v]
    values += [rate] + ([loop_rate] if loop_rate else [])
    y_lo = 10.0 ** math.floor(math.log10(min(values) * 0.7))
    y_hi = 10.0 ** math.ceil(math.log10(max(values) * 1.5))

    def sx(n: float) -> float:
        return left + n / x_max * plot_w

    def sy(v: float) -> float:
        v = min(max(v, y_lo), y_hi)
        return top + plot_h - (math.log10(v) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo)) * plot_h

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" '
           'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">'.format(width, height),
           '<title>Bulk stop: achieved vs quota ceiling throughput over N</title>',
           '<rect x="0" y="0" width="{0}" height="{1}" fill="#ffffff"/>'.format(width, height),
           '<text x="{0}" y="24" text-anchor="middle" font-size="15" font-weight="bold">'
           'Bulk stop throughput vs the StopExecution quota (scaled x{1:g}: burst {2:g}, {3:g}/s)</text>'.format(
               width / 2, scale, burst, rate)]
    out.append('<rect x="{0:.1f}" y="{1}" width="{2:.1f}" height="{3}" fill="#eeeeee"/>'.format(
        sx(0), top, sx(burst) - sx(0), plot_h))
    out.append('<text x="{0:.1f}" y="{1}" text-anchor="middle" fill="#555555">N &lt;= burst: the quota does not bind</text>'.format(
        (sx(0) + sx(burst)) / 2, top - 7))
    decade = y_lo
    while decade <= y_hi * 1.0001:
        for factor in (1, 2, 5):
            value = decade * factor
            if value > y_hi * 1.0001:
                break
            y = sy(value)
            out.append('<line x1="{0}" y1="{1:.1f}" x2="{2}" y2="{1:.1f}" stroke="{3}"/>'.format(
                left, y, left + plot_w, "#cccccc" if factor == 1 else "#eeeeee"))
            out.append('<text x="{0}" y="{1:.1f}" text-anchor="end">{2:g}</text>'.format(left - 6, y + 4, value))
        decade *= 10
    for index in range(int(x_max // 100) + 1):
        value = index * 100.0
        x = sx(value)
        out.append('<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#dddddd"/>'.format(x, top, top + plot_h))
        out.append('<text x="{0:.1f}" y="{1}" text-anchor="middle">{2:g}</text>'.format(x, top + plot_h + 18, value))
    out.append('<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#000000"/>'.format(left, top, top + plot_h))
    out.append('<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#000000"/>'.format(left, top + plot_h, left + plot_w))
    out.append('<text x="{0:.1f}" y="{1}" text-anchor="middle">executions stopped in one task (N)</text>'.format(
        left + plot_w / 2, top + plot_h + 40))
    out.append('<text x="18" y="{0:.1f}" text-anchor="middle" transform="rotate(-90 18 {0:.1f})">stops per second '
               '(log scale)</text>'.format(top + plot_h / 2))
    points = []
    for index in range(1, 301):
        n = burst + (x_max - burst) * index / 300.0
        points.append("{0:.1f},{1:.1f}".format(sx(n), sy(n * rate / (n - burst))))
    out.append('<polyline fill="none" stroke="#d62728" stroke-width="2" points="{0}"/>'.format(" ".join(points)))
    out.append('<line x1="{0}" y1="{1:.1f}" x2="{2}" y2="{1:.1f}" stroke="#d62728" stroke-dasharray="3,4"/>'.format(
        left, sy(rate), left + plot_w))
    if loop_rate:
        out.append('<line x1="{0}" y1="{1:.1f}" x2="{2}" y2="{1:.1f}" stroke="#7f7f7f" stroke-dasharray="8,4"/>'.format(
            left, sy(loop_rate), left + plot_w))
        out.append('<text x="{0}" y="{1:.1f}" text-anchor="end" fill="#555555">{2:.2f}/s</text>'.format(
            left + plot_w - 4, sy(loop_rate) - 5, loop_rate))
    for run in runs:
        x = sx(run["n"])
        anchor, dx = ("end", -9) if x > left + plot_w * 0.6 else ("start", 9)
        if run["achieved_stops_per_s"]:
            y = sy(run["achieved_stops_per_s"])
            out.append('<circle cx="{0:.1f}" cy="{1:.1f}" r="5" fill="#1f77b4"/>'.format(x, y))
            label = "{0:.1f}/s".format(run["achieved_stops_per_s"])
            if run["fraction_of_ceiling"] is not None:
                label += " = {0:.0%} of {1:.1f}/s".format(run["fraction_of_ceiling"], run["ceiling_stops_per_s"])
            out.append(svg_label(x + dx, y - 8, label, anchor, "#1f77b4"))
        if run["achieved_stops_per_s_task"]:
            y = sy(run["achieved_stops_per_s_task"])
            out.append('<rect x="{0:.1f}" y="{1:.1f}" width="9" height="9" fill="none" stroke="#2ca02c" stroke-width="2"/>'.format(
                x - 4.5, y - 4.5))
            out.append(svg_label(x + dx, y + 18, "{0:.1f}/s".format(run["achieved_stops_per_s_task"]), anchor, "#2ca02c"))
    legend = [
        ('<line x1="0" y1="0" x2="24" y2="0" stroke="#d62728" stroke-width="2"/>',
         "quota ceiling N / T_min(N), T_min(N) = (N - burst) / rate"),
        ('<line x1="0" y1="0" x2="24" y2="0" stroke="#d62728" stroke-dasharray="3,4"/>', "the quota's sustained refill rate"),
        ('<circle cx="12" cy="0" r="5" fill="#1f77b4"/>', "achieved in the stop phase (first to last accepted StopExecution)"),
        ('<rect x="7.5" y="-4.5" width="9" height="9" fill="none" stroke="#2ca02c" stroke-width="2"/>',
         "achieved over the whole task (Python start-up, listing, stops)"),
        ('<line x1="0" y1="0" x2="24" y2="0" stroke="#7f7f7f" stroke-dasharray="8,4"/>',
         "loop of single-execution tasks (one stop per task)"),
    ]
    lx, ly = left + 10, top + plot_h + 70
    for index, (shape, text) in enumerate(legend):
        y = ly + index * 20
        out.append('<g transform="translate({0},{1})">{2}</g>'.format(lx, y - 4, shape))
        out.append('<text x="{0}" y="{1}">{2}</text>'.format(lx + 34, y, escape(text)))
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# rst page


def rst_escape(text: str) -> str:
    for char in ("\\", "*", "`", "|", "_"):
        text = text.replace(char, "\\" + char)
    return text


def render_rst(results: t.Mapping[str, t.Any], rows: t.Sequence[t.Mapping[str, str]], svg_relative: t.Optional[str]) -> str:
    machine = results["machine"]
    lines = [
        ".. _{0}:".format(RST_LABEL),
        "",
        "..",
        "  This page is generated by bench/run.py (make bench); edit the generator, not this file.",
        "",
        "Performance",
        "===========",
        "",
        "The figures below come from one run of ``make bench`` (``bench/run.py``) against the collection's local",
        "CloudFlow emulator over loopback. Ratios are measured inside the same run; absolute times on a small",
        "shared machine are noise and only the ratios and counts should be compared between runs.",
        "",
        "Run: {0}, {1} CPUs, {2} MiB memory, Python {3}, ansible-core {4}, httpx {5}{6}.".format(
            machine["date_utc"], machine["nproc"], machine["memory_total_mib"], machine["python_controller"],
            machine.get("ansible_core"), machine.get("httpx"), " (quick run)" if results["quick"] else ""),
        "",
        "Results",
        "-------",
        "",
        ".. list-table::",
        "  :header-rows: 1",
        "  :widths: 14 44 24 10 8",
        "",
        "  * - Figure",
        "    - Metric",
        "    - Value",
        "    - Target",
        "    - Verdict",
    ]
    for row in rows:
        lines.append("  * - " + rst_escape(row["figure"]))
        for key in ("metric", "value", "target", "verdict"):
            lines.append("    - " + (rst_escape(row[key]) if row[key] else "\\-"))
    lines.append("")
    if svg_relative:
        lines += [
            "Bulk stop throughput",
            "--------------------",
            "",
            ".. image:: {0}".format(svg_relative),
            "  :alt: Achieved bulk stop throughput against the StopExecution quota ceiling over N",
            "",
        ]
    lines += ["How each figure is measured", "---------------------------", ""]
    lines += method_paragraphs(results)
    lines += ["Discussion", "----------", ""]
    lines += discussion_paragraphs(results, rows)
    lines += [
        "Reproducing",
        "-----------",
        "",
        "Run ``make bench`` from a clone (``bench/run.py --quick`` for a short smoke run). It starts the emulator on",
        "127.0.0.1, runs playbooks on the implicit localhost with a temporary ``HOME`` and no proxies, writes",
        "``docs/docsite/performance.json`` (every raw measurement) and regenerates this page and its chart.",
        "",
    ]
    return "\n".join(lines)


def method_paragraphs(results: t.Mapping[str, t.Any]) -> t.List[str]:
    figures = results["figures"]
    out = [
        "1. **Task cost.** One playbook alternates ``ansible.builtin.ping`` tasks and ``cloudflow_execution`` stop tasks",
        "   (each stopping a different Running execution), after one warm-up of each. A callback plugin",
        "   (``bench/callback_plugins/bench_timer.py``) records the wall time from task start to the result. The table",
        "   gives the medians and the ratio of the medians. The module's own time split comes from",
        "   ``bench/module_split.py``, which runs the module's steps in a fresh Python process with",
        "   ``time.perf_counter()`` between them (imports, argument handling, client construction, HTTP, ``exit_json``);",
        "   it does not go through AnsiballZ, so the AnsiballZ unpacking and Ansible's own per-task work are not in it.",
        "2. **Calls.** Requests per scenario counted from the emulator's request log (each scenario uses its own",
        "   execution name, so the entries are attributed exactly).",
    ]
    wait = figures.get("wait") or {}
    delay = wait.get("stop_delay_seconds", "D")
    out += [
        "3. **Wait latency.** The emulator's ``stop_delay_seconds`` is set to {0} s. Latency is the time from the".format(delay),
        "   execution's ``StoppedTime`` (the moment the emulator marked it Stopped, millisecond resolution) to the",
        "   moment the callback sees the task's result. The reference is a fixed 5-second poller in the benchmark",
        "   process that uses the collection's own HTTP client to send a plain ``DescribeExecution`` every 5 s; the",
        "   phase of its schedule is spread evenly over one interval across the trials, so its expected latency is",
        "   2.5 s. Two split measurements explain the module's figure: the same long-poll run inside the benchmark",
        "   process with the collection's ``wait_until_finished`` (the wake-up alone), and extra wait tasks run through",
        "   the interpreter shim of figure 5, which records when the module process exited.",
    ]
    bulk = figures.get("bulk") or {}
    out += [
        "4. **Bulk stop.** N Running executions are seeded; one task with ``filters: {}`` stops them with",
        "   ``quota_scale: {0:g}`` against an emulator whose quotas are scaled by the same factor (StopExecution: burst".format(
            bulk.get("quota_scale", BULK_QUOTA_SCALE)),
        "   {0:g}, refill {1:g} per second). The ceiling is ``T_min(N) = max(0, N - burst) / rate``, the earliest the".format(
            STOP_QUOTA[0] * BULK_QUOTA_SCALE, STOP_QUOTA[1] * BULK_QUOTA_SCALE),
        "   N-th stop can be accepted after the first; the fraction of the ceiling is ``T_min / T`` with ``T`` taken",
        "   from the first StopExecution request to the last accepted one in the emulator's log (the stop phase). For",
        "   N at or below the burst the quota does not bind and no fraction is given. The whole-task rate (including",
        "   Python start-up and listing) is shown in the chart as well. The loop comparison runs one task with",
        "   ``loop:`` over a smaller number of executions and extrapolates its time per item linearly to N.",
        "5. **Memory.** The task's ``ansible_python_interpreter`` is a small shim that runs the real Python as a child",
        "   and reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the peak resident set of the process that runs the",
        "   AnsiballZ payload (the module runs inside that process).",
    ]
    out += window_method_paragraphs()
    out.append("")
    return out


def discussion_paragraphs(results: t.Mapping[str, t.Any], rows: t.Sequence[t.Mapping[str, str]]) -> t.List[str]:
    misses = [row for row in rows if row["verdict"] == "MISS"]
    unmeasured = [row for row in rows if row["value"].startswith("not measured") or row["metric"] == "not measured"]
    out: t.List[str] = []
    if not misses:
        out += ["Every target with a verdict was met in this run.", ""]
    else:
        out += ["Targets missed in this run:", ""]
        for row in misses:
            out.append("- {0}, {1}: {2} (target {3}).".format(
                rst_escape(row["figure"]), rst_escape(row["metric"]), rst_escape(row["value"]), rst_escape(row["target"])))
        out.append("")
    for note in results.get("notes") or []:
        out += [rst_escape(note), ""]
    if unmeasured:
        out += ["Not measured: " + "; ".join(rst_escape(row["figure"] + " " + row["value"]) for row in unmeasured), ""]
    return out


# ---------------------------------------------------------------------------------------------
# main


def memory_figure(runner: Runner) -> t.Dict[str, t.Any]:
    entries = runner.rss_entries()
    peaks: t.Dict[str, float] = {}
    for entry in entries:
        label = entry.get("label")
        if not label:
            continue
        peaks[label] = max(peaks.get(label, 0.0), entry["maxrss_kib"] / 1024.0)
    return {
        "method": ("ansible_python_interpreter set to a shim that runs the real interpreter as a child process and "
                   "records resource.getrusage(RUSAGE_CHILDREN).ru_maxrss (the AnsiballZ payload and the module run "
                   "in that one child)"),
        "entries": entries,
        "peak_rss_mib": peaks,
    }


def automatic_notes(results: t.Dict[str, t.Any]) -> t.List[str]:
    notes = []
    figures = results["figures"]
    one = figures.get("task_cost")
    split = figures.get("module_split")
    if one and "error" not in one and one["task_cost"]["ratio"] and one["task_cost"]["ratio"] > 1.3:
        text = ("Task cost: the stop task costs {0:.2f}x a ping task. Both modules import ansible.module_utils.basic; "
                "the stop task also imports httpx (with httpcore) and the collection's module_utils, and makes two HTTP "
                "round trips").format(one["task_cost"]["ratio"])
        if split and "error" not in split:
            m = split["median_s"]
            text += (" (in the split, medians: imports {0:.0f} ms, of which httpx with httpcore {1:.0f} ms and "
                     "ansible.module_utils.basic {2:.0f} ms; HTTP {3:.0f} ms; argument handling {4:.0f} ms)").format(
                         m["imports_total"] * 1000, (m["import_httpx"] + m["import_httpcore"]) * 1000,
                         m["import_basic"] * 1000, m["http"] * 1000, m["args"] * 1000)
        notes.append(text + ".")
    wait = figures.get("wait")
    if wait and "error" not in wait and wait["module"]["max_s"] is not None and wait["module"]["max_s"] > 0.25:
        text = ("Wait latency: the median trial returned {0:.3f} s and the slowest {1:.3f} s after the execution was "
                "marked Stopped; the latency includes the module process exiting and Ansible processing the result, "
                "not only the long-poll wake-up").format(wait["module"]["median_s"], wait["module"]["max_s"])
        split = wait.get("split") or {}
        if split.get("trials"):
            template = (" (in the split trials, the module process had exited {0:.3f} s after Stopped and the controller "
                        "took {1:.3f} s more to report the result)")
            text += template.format(split["module_part_median_s"], split["controller_part_median_s"])
        notes.append(text + ".")
    bulk = figures.get("bulk")
    if bulk and "error" not in bulk:
        for run in bulk["runs"]:
            if run["fraction_of_ceiling"] is not None and run["fraction_of_ceiling"] < 0.85:
                template = "Bulk N={0}: the stop phase took {1:.2f} s against a quota minimum of {2:.2f} s ({3} responses were 429)."
                notes.append(template.format(run["n"], run["stop_phase_seconds"], run["ceiling"]["min_seconds"], run["throttled_429"]))
            if run["n"] == 500 and run["speedup_vs_loop"] is not None and run["speedup_vs_loop"] < 20:
                notes.append(("Bulk N=500 against the loop: the bulk task took {0:.2f} s, the extrapolated loop {1:.1f} s "
                              "({2:.1f}x); at the quota's sustained rate the bulk task cannot take less than {3:.1f} s, "
                              "so the ratio is bounded by the loop's per-task cost times the refill rate.").format(
                                  run["task_seconds"], run["loop_extrapolated_seconds"], run["speedup_vs_loop"],
                                  run["ceiling"]["min_seconds"]))
            if run["throttled_429"]:
                notes.append("Bulk N={0}: the emulator answered {1} StopExecution/other requests with 429; the module "
                             "retried them.".format(run["n"], run["throttled_429"]))
    seven = figures.get("quiesce")
    if seven and "error" not in seven and seven.get("ratio_to_ceiling") and seven["ratio_to_ceiling"] > seven["targets"]["ratio_to_ceiling"]:
        binding = max(seven["calls"].items(), key=lambda item: item[1]["ceiling_seconds"])
        text = ("Quiesce: the role took {0:.2f} s against a ceiling of {1:.2f} s ({2}, {3} accepted calls)").format(
            seven["role_seconds"], seven["ceiling_seconds"], binding[0], binding[1]["accepted"])
        if seven.get("phases"):
            text += "; its cloudflow_window task took {0:.2f} s: {1}; the role's other tasks {2:.2f} s".format(
                seven["window_task_seconds"], phase_text(seven["phases"]), seven["role_seconds"] - seven["window_task_seconds"])
        notes.append(text + ".")
    eight = figures.get("window_scale")
    if eight and "error" not in eight and "skipped" in (eight.get("old") or {}):
        notes.append("Window at scale: the role before cloudflow_window was not measured: " + eight["old"]["skipped"] + ".")
    if results["quick"]:
        notes.append("This is a quick run (--quick): fewer trials and smaller N (figure 8: {0} flows); the N=500 targets "
                     "are not evaluated.".format(results["settings"]["window_scale_flows"]))
    return notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (fewer trials, N=50, 20 flows in figure 8)")
    parser.add_argument("--output", help=("results JSON (default docs/docsite/performance.json; with --quick a file in the "
                                          "temporary directory of the system)"))
    parser.add_argument("--rst", help="generated page (default docs/docsite/rst/performance.rst; not written with --quick "
                                      "unless given); '' to skip")
    parser.add_argument("--svg", help="generated chart (default docs/docsite/rst/images/bulk_throughput.svg; not written with "
                                      "--quick unless given); '' to skip")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temporary directory (playbooks, outputs)")
    # Figure 8 runs the quiesce role from before cloudflow_window, 1 + 5 module runs per flow over 200 flows: several
    # minutes on a small machine, after the other figures' few minutes.
    parser.add_argument("--budget", type=float, default=1800.0, help="seconds after which remaining figures are skipped")
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:  # a caller that writes `-- --quick` (nox -s bench -- -- --quick) passes the separator through
        argv = argv[1:]
    args = parser.parse_args(argv)

    quick = args.quick
    # A quick smoke run must not overwrite the published figures unless asked to.
    if args.output is None:
        args.output = os.path.join(tempfile.gettempdir(), "cloudflow-bench-quick.json") if quick else DEFAULT_JSON
    if args.rst is None:
        args.rst = "" if quick else DEFAULT_RST
    if args.svg is None:
        args.svg = "" if quick else DEFAULT_SVG
    settings = {
        "pairs": 4 if quick else 15,
        "split_repeats": 3 if quick else 7,
        "wait_trials": 2 if quick else 5,
        "wait_split_trials": 1 if quick else 3,
        # 5 evenly spaced phases with D = 3 s give an expected fixed-polling latency of exactly 2.5 s.
        "poll_trials": 2 if quick else 5,
        "stop_delay_seconds": 3.0,
        "bulk_sizes": [50] if quick else [100, 500],
        "loop_size": 5 if quick else 20,
        "bulk_wait_size": 100 if quick else 500,
        "quiesce_flows": 3 if quick else 10,
        "quiesce_executions": 20 if quick else 50,
        "window_scale_flows": 20 if quick else 200,
    }
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="cloudflow-bench-")
    for variable in list(os.environ):
        if variable.lower() in PROXY_VARIABLES:
            del os.environ[variable]
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
    os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

    results: t.Dict[str, t.Any] = {"quick": quick, "settings": settings, "machine": machine_info(), "figures": {}}
    emulator = Emulator(workdir, isolated_env(os.path.join(workdir, "home")))
    exit_code = 0
    try:
        say("starting the emulator")
        emulator.start()
        say("emulator at " + emulator.url)
        runner = Runner(workdir, emulator.url)
        steps = [
            ("task_cost", "figures 1 and 2: task cost and calls", lambda: figure_task_cost(emulator, runner, settings["pairs"])),
            ("module_split", "figure 1: module time split", lambda: figure_module_split(emulator, runner, settings["split_repeats"])),
            ("wait", "figure 3: wait latency", lambda: figure_wait(emulator, runner, settings["wait_trials"],
                                                                   settings["stop_delay_seconds"], settings["poll_trials"],
                                                                   settings["wait_split_trials"])),
            ("bulk", "figure 4: bulk stop", lambda: figure_bulk(emulator, runner, settings["bulk_sizes"], settings["loop_size"])),
            ("bulk_wait", "figure 6: waiting for a bulk stop", lambda: figure_bulk_wait(emulator, runner, settings["bulk_wait_size"])),
            ("quiesce", "figure 7: quiesce", lambda: figure_quiesce(emulator, runner, settings["quiesce_flows"],
                                                                    settings["quiesce_executions"])),
            ("window_scale", "figure 8: window at scale (the role now, then the role before cloudflow_window)",
             lambda: figure_window_scale(emulator, runner, workdir, settings["window_scale_flows"])),
        ]
        for key, title, step in steps:
            if time.monotonic() - started > args.budget:
                results["figures"][key] = {"error": "skipped: the run's time budget of {0:g} s was used up".format(args.budget)}
                continue
            say(title)
            step_started = time.monotonic()
            try:
                value = step()
            except BenchError as error:
                value = {"error": str(error)}
                exit_code = 1
            except Exception as error:  # pylint: disable=broad-except
                value = {"error": "{0}: {1}".format(type(error).__name__, error), "traceback": traceback.format_exc()}
                exit_code = 1
            if key == "task_cost" and "error" not in value:
                results["figures"]["task_cost"] = value
            else:
                results["figures"][key] = value
            say("  {0:.1f} s{1}".format(time.monotonic() - step_started, "; ERROR: " + value["error"] if "error" in value else ""))
        results["figures"]["memory"] = memory_figure(runner)
    except BenchError as error:
        say("cannot run: " + str(error))
        results["error"] = str(error)
        exit_code = 1
    finally:
        emulator.stop()
        if args.keep_temp:
            say("kept " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["elapsed_seconds"] = time.monotonic() - started
    results["notes"] = automatic_notes(results) if "error" not in results else []
    rows = build_rows(results, quick)
    results["table"] = rows
    print()
    print_table(rows)
    print()
    for note in results["notes"]:
        print("note: " + note)

    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1, sort_keys=True)
            handle.write("\n")
        say("wrote " + args.output)
    svg_relative = None
    bulk = results["figures"].get("bulk")
    if args.svg and bulk and "error" not in bulk:
        os.makedirs(os.path.dirname(os.path.abspath(args.svg)), exist_ok=True)
        with open(args.svg, "w", encoding="utf-8") as handle:
            handle.write(render_svg(bulk))
        say("wrote " + args.svg)
        if args.rst:
            svg_relative = os.path.relpath(os.path.abspath(args.svg), os.path.dirname(os.path.abspath(args.rst))).replace(os.sep, "/")
    if args.rst:
        os.makedirs(os.path.dirname(os.path.abspath(args.rst)), exist_ok=True)
        with open(args.rst, "w", encoding="utf-8") as handle:
            handle.write(render_rst(results, rows, svg_relative))
        say("wrote " + args.rst)
    say("done in {0:.0f} s".format(results["elapsed_seconds"]))
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
