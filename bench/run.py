# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The seed.cloudflow benchmark (``make bench``): the figures of the performance page, measured against the local emulator.

Run with the Python of a venv that has ansible-core, httpx and the emulator package (``make bench`` does this):

    python bench/run.py [--quick] [--output docs/docsite/performance.json] [--no-render]

It measures and writes every measurement to the JSON file; then bench/render.py writes the page and its chart from
that file (with --quick, into the system's temporary directory: a smoke run never touches the published page).
Everything runs over loopback: the emulator is started here on 127.0.0.1 with a random port, and the playbooks run
through the emulator package's PlaybookRunner (implicit localhost, HOME in a temporary directory, no proxies, the ECS
metadata service disabled). Figures are ratios measured inside one run; absolute times on a small shared machine are
noise. See docs/docsite/rst/performance.rst for what each figure means and how it is measured.
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

import reference
from cloudflow_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, EmulatorControl, EmulatorProcess, EmulatorStartError
from cloudflow_emulator.playbooks import PlaybookRunner

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
# the emulator and the playbooks


def start_emulator(workdir: str) -> EmulatorProcess:
    """The project's emulator on 127.0.0.1 (a random port); refused unless it announces a loopback URL."""
    process = EmulatorProcess(port=0, log_path=os.path.join(workdir, "emulator.log"), startup_timeout=30.0)
    try:
        process.start()
    except EmulatorStartError as error:
        raise BenchError(str(error)) from error
    host = process.url.split("://", 1)[1].rsplit(":", 1)[0]
    if host not in ("127.0.0.1", "[::1]", "localhost"):
        process.stop(timeout=10)
        raise BenchError("the emulator announced a non-loopback URL {0}".format(process.url))
    return process


def executions_by_name(emulator: EmulatorControl, flow: str) -> t.Dict[str, t.Dict[str, t.Any]]:
    """The flow's executions as the emulator holds them, by name."""
    return {entry["Name"]: entry for entry in emulator.executions(flow)}


def make_runner(workdir: str, emulator_url: str) -> PlaybookRunner:
    """The playbook runner, with the collection in a collections directory of its own and the emulator's key and
    endpoint in the environment of every play."""
    # Not workdir/collections: Ansible also searches the collections directory beside the playbook, which would
    # shadow ANSIBLE_COLLECTIONS_PATH when a play is run with another copy of the collection (figure 8).
    collections = os.path.join(workdir, "collections-checkout")
    namespace = os.path.join(collections, "ansible_collections", "seed")
    os.makedirs(namespace, exist_ok=True)
    os.symlink(REPO, os.path.join(namespace, "cloudflow"))
    return PlaybookRunner(workdir, collections, environment={
        "ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
        "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT": emulator_url,
    })


def play(runner: PlaybookRunner, label: str, tasks: t.List[t.Dict[str, t.Any]], timeout: float = 300.0,
         env: t.Optional[t.Mapping[str, str]] = None) -> t.List[t.Dict[str, t.Any]]:
    """Run one play of tasks on the implicit localhost; return the callback's task records (name, action, start, end,
    status, result, items_ran, items_skipped).

    env overrides variables of the play's environment (another ANSIBLE_COLLECTIONS_PATH, for example)."""
    try:
        run = runner.run_playbook(tasks, env=env, name="bench-" + label, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise BenchError("playbook {0} did not finish within {1:g} s".format(label, timeout)) from error
    if not run.recorded:
        raise BenchError("playbook {0} exited {1} without timing data: {2}".format(label, run.returncode, run.output[-2000:]))
    if run.returncode != 0:
        failed = [record for record in run.tasks if record["status"] != "ok"]
        raise BenchError("playbook {0} exited {1}; failed tasks: {2}; output tail: {3}".format(
            label, run.returncode, json.dumps(failed)[:1500], run.output[-1500:]))
    return run.tasks


def stop_task(flow: str, name: str, label: str, **extra: t.Any) -> t.Dict[str, t.Any]:
    args = {"flow_name": flow, "name": name, "state": "stopped"}
    args.update(extra)
    return {"name": label, MODULE: args}


def ping_task(label: str) -> t.Dict[str, t.Any]:
    return {"name": label, "ansible.builtin.ping": {}}


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


def figure_task_cost(emulator: EmulatorControl, runner: PlaybookRunner, pairs: int) -> t.Dict[str, t.Any]:
    flow = "costflow"
    emulator.reset()
    for index in range(pairs + 1):
        emulator.seed_execution(flow, "cost-{0:02d}".format(index))
    for key, _label, status, _args, _check, _target in CALL_SCENARIOS:
        if status:
            emulator.seed_execution(flow, "calls-" + key.replace("_", "-"), status=status)
    emulator.seed_execution(flow, "mem-stop")
    for bulk_flow, _check in BULK_CALL_SCENARIOS:
        emulator.seed_executions(bulk_flow, BULK_CALL_COUNT, name_prefix="r-")
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
    tasks.append(runner.with_rss(ping_task("mem ping"), "ping"))
    tasks.append(runner.with_rss(stop_task(flow, "mem-stop", "mem stop"), "single-stop"))

    records = by_name(play(runner, "task-cost", tasks))
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


def figure_module_split(emulator: EmulatorControl, runner: PlaybookRunner, repeats: int) -> t.Dict[str, t.Any]:
    flow = "splitflow"
    emulator.reset()
    for index in range(repeats):
        emulator.seed_execution(flow, "split-{0:02d}".format(index))
    env = runner.environment({"PYTHONPATH": str(runner.collections_path)})
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


def figure_wait(emulator: EmulatorControl, runner: PlaybookRunner, trials: int, delay: float, poll_trials: int,
                split_trials: int) -> t.Dict[str, t.Any]:
    flow = "waitflow"
    emulator.reset(stop_delay_seconds=delay)
    names = ["wait-{0:02d}".format(index) for index in range(trials)]
    poll_names = ["poll-{0:02d}".format(index) for index in range(poll_trials)]
    for name in names + poll_names:
        emulator.seed_execution(flow, name)
    # Extra trials through the RSS shim, which also records when the module process exited: they split the
    # latency into the module's part (long-poll wake-up, result, interpreter exit) and the controller's part.
    split_names = ["wsplit-{0:02d}".format(index) for index in range(split_trials)]
    for name in split_names:
        emulator.seed_execution(flow, name)
    tasks = []
    for index in range(max(trials, split_trials)):
        if index < trials:
            tasks.append(stop_task(flow, names[index], "wait " + names[index], wait=True, wait_timeout=60))
        if index < split_trials:
            tasks.append(runner.with_rss(stop_task(flow, split_names[index], "wait " + split_names[index], wait=True, wait_timeout=60),
                                         "wait-" + split_names[index]))
    records = by_name(play(runner, "wait", tasks, timeout=60 + (trials + split_trials) * (delay + 30)))
    long_poll_names = ["lpoll-{0:02d}".format(index) for index in range(split_trials)]
    for name in long_poll_names:
        emulator.seed_execution(flow, name)
    polled = reference_poller(emulator, flow, poll_names, delay, long_poll_names)
    poller = [trial for trial in polled if trial["kind"] == "fixed"]
    in_process = [trial for trial in polled if trial["kind"] == "long-poll"]
    executions = executions_by_name(emulator, flow)
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
            "method": ("reference poller in the bench process, using the bench's own client (bench/reference.py): StopExecution, "
                       "then plain DescribeExecution (no WaitTimeSeconds) every {0:g} s; the phase of the poll schedule "
                       "against the StopExecution is spread evenly over one interval ((i + 0.5) / n * {0:g} s for trial i "
                       "of n), so the expected latency is half an interval").format(POLL_INTERVAL),
            "trials": poller,
            "mean_s": mean(poll_latencies),
            "median_s": median(poll_latencies),
            "max_s": max(poll_latencies) if poll_latencies else None,
        },
    }


def reference_client(emulator: EmulatorControl, scale: float, user_agent: str) -> reference.Client:
    """The bench's own client (bench/reference.py), with the emulator's key, paced at the quotas times scale."""
    return reference.Client(emulator.url, ACCESS_KEY_ID, ACCESS_KEY_SECRET, scale, "seed.cloudflow-bench " + user_agent)


def reference_poller(emulator: EmulatorControl, flow: str, names: t.Sequence[str], delay: float,
                     long_poll_names: t.Sequence[str] = ()) -> t.List[t.Dict[str, t.Any]]:
    """Fixed-interval polling trials (names) and, alongside, in-process long-poll trials (long_poll_names): the
    latter isolate the long-poll wake-up from process and Ansible costs."""
    client = reference_client(emulator, 1.0, "reference-poller")
    results: t.List[t.Dict[str, t.Any]] = []
    max_polls = int(math.ceil((delay + 2 * POLL_INTERVAL) / POLL_INTERVAL)) + 1

    def long_poll_trial(name: str) -> None:
        entry: t.Dict[str, t.Any] = {"name": name, "kind": "long-poll", "detected": None, "error": None}
        results.append(entry)
        try:
            client.stop(flow, name)
            execution = client.long_poll(flow, name, delay + 30)
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
            client.stop(flow, name)
            for poll in range(max_polls):
                pause = sent + phase + poll * POLL_INTERVAL - time.time()
                if pause > 0:
                    time.sleep(pause)
                reply = client.describe(flow, name)
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


def figure_bulk(emulator: EmulatorControl, runner: PlaybookRunner, sizes: t.Sequence[int], loop_size: int) -> t.Dict[str, t.Any]:
    scale = BULK_QUOTA_SCALE
    runs = []
    for count in sizes:
        flow = "bulkflow"
        emulator.reset(quota_scale=scale)
        emulator.seed_executions(flow, count, name_prefix="b-")
        emulator.clear_requests()
        task = {"name": "bulk {0}".format(count),
                MODULE: {"flow_name": flow, "filters": {}, "state": "stopped", "quota_scale": scale}}
        task = runner.with_rss(task, "bulk-{0}".format(count))
        records = play(runner, "bulk-{0}".format(count), [task], timeout=120 + count)
        record = records[0]
        log = emulator.requests()
        executions = executions_by_name(emulator, flow)
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
    names = emulator.seed_executions(flow, loop_size, name_prefix="l-")["names"]
    emulator.clear_requests()
    task = {"name": "loop {0}".format(loop_size),
            MODULE: {"flow_name": flow, "name": "{{ item }}", "state": "stopped", "quota_scale": scale},
            "loop": names}
    record = play(runner, "loop-{0}".format(loop_size), [task], timeout=120 + 10 * loop_size)[0]
    loop_seconds = duration(record)
    executions = executions_by_name(emulator, flow)
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


def role_run(emulator: EmulatorControl, runner: PlaybookRunner, label: str, prefix: str, scale: float, timeout: float,
             env: t.Optional[t.Mapping[str, str]] = None) -> t.Dict[str, t.Any]:
    """Run the quiesce role once through the Runner; its time, module runs, calls per action and the schedules after it."""
    records = play(runner, label, [quiesce_block(label, prefix, scale)], timeout=timeout, env=env)
    finished = [record for record in records if record["end"] is not None]
    start = min(float(record["start"]) for record in finished)
    end = max(float(record["end"]) for record in finished)
    log = emulator.requests()
    figures = log_figures(log)
    runs = module_runs(records)
    failed_tasks = [record for record in records if record["status"] not in ("ok", "skipped")]
    schedules = [entry for entry in emulator.schedules() if str(entry.get("flow_name")).startswith(prefix)]
    result = {
        "role_seconds": end - start,
        "role_status": "ok" if not failed_tasks else "failed",
        "tasks": len(records),
        "module_runs": runs["total"],
        "module_runs_by_module": runs["by_module"],
        "module_runs_method": ("counted from the playbook callback's task records: each task whose action is a "
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


def seed_schedules(emulator: EmulatorControl, flow: str) -> None:
    for schedule in SCHEDULE_NAMES:
        emulator.create_schedule(flow, schedule, SCHEDULE_CRON, payload={"schedule": schedule}, enable=True)


def figure_quiesce(emulator: EmulatorControl, runner: PlaybookRunner, flows: int, per_flow: int) -> t.Dict[str, t.Any]:
    """One quiesce role run over flows x per_flow Running executions, each flow with two enabled schedules."""
    scale = WINDOW_QUOTA_SCALE
    emulator.reset(quota_scale=scale, stop_delay_seconds=WINDOW_STOP_DELAY)
    flow_names = ["qf-{0:02d}".format(index) for index in range(flows)]
    for flow in flow_names:
        emulator.seed_executions(flow, per_flow, name_prefix="q-")
        seed_schedules(emulator, flow)
    emulator.clear_requests()
    run = role_run(emulator, runner, "quiesce-{0}x{1}".format(flows, per_flow), "qf-", scale, timeout=900)
    calls = run["calls"]
    ceiling = max(entry["ceiling_seconds"] for entry in calls.values()) if calls else 0.0
    not_stopped = sum(1 for flow in flow_names for entry in executions_by_name(emulator, flow).values() if entry.get("Status") != "Stopped")
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


def figure_window_scale(emulator: EmulatorControl, runner: PlaybookRunner, workdir: str, flows: int) -> t.Dict[str, t.Any]:
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
        "old_commit": OLD_ROLE_COMMIT,
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


def figure_bulk_wait(emulator: EmulatorControl, runner: PlaybookRunner, count: int) -> t.Dict[str, t.Any]:
    """Bulk stop of N with wait=true: the module (ListExecutions watch) against the per-execution long-poll."""
    scale = WINDOW_QUOTA_SCALE
    stop_burst, stop_rate = STOP_QUOTA[0] * scale, STOP_QUOTA[1] * scale
    ceiling = max(0.0, count - stop_burst) / stop_rate
    describe_ceiling = max(0.0, count - DESCRIBE_QUOTA[0] * scale) / (DESCRIBE_QUOTA[1] * scale)
    flow = "waitflow"
    emulator.reset(quota_scale=scale, stop_delay_seconds=WINDOW_STOP_DELAY)
    emulator.seed_executions(flow, count, name_prefix="w-")
    emulator.clear_requests()
    task = {"name": "bulk wait {0}".format(count),
            MODULE: {"flow_name": flow, "filters": {}, "state": "stopped", "quota_scale": scale, "wait": True,
                     "wait_timeout": int(ceiling * 3 + 120)}}
    record = play(runner, "bulk-wait-{0}".format(count), [task], timeout=ceiling * 3 + 300)[0]
    executions = executions_by_name(emulator, flow)
    module = dict(log_figures(emulator.requests()), task_seconds=duration(record), task_status=record["status"],
                  not_stopped=sum(1 for entry in executions.values() if entry.get("Status") != "Stopped"))

    # The per-execution long-poll (the wait before issue 11), in this process, at the same scaled quotas.
    emulator.reset(quota_scale=scale, stop_delay_seconds=WINDOW_STOP_DELAY)
    emulator.seed_executions(flow, count, name_prefix="w-")
    emulator.clear_requests()
    client = reference_client(emulator, scale, "bulk-wait")
    started = time.monotonic()
    try:
        outcome = reference.stop_and_long_poll_each(client, flow, timeout=ceiling * 3 + 120)
    finally:
        client.close()
    old_seconds = time.monotonic() - started
    executions = executions_by_name(emulator, flow)
    long_poll = dict(log_figures(emulator.requests()), task_seconds=old_seconds, failed=len(outcome["failures"]),
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
                   "bench/reference.py's stop_and_long_poll_each called in the benchmark process (no process start-up): "
                   "the in-progress executions listed, each stopped, then one DescribeExecution long-poll per execution, "
                   "4 at a time, as the module's wait did before the paged watch; emulator and clients at quota_scale {0:g}"
                   ).format(scale),
    }


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
# main


def memory_figure(runner: PlaybookRunner) -> t.Dict[str, t.Any]:
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


def render_targets(output: str) -> t.Tuple[str, str]:
    """Where bench/render.py writes the page and its chart for the JSON at output: the published page for the
    published JSON, else beside the JSON (a smoke run's page never replaces the published one)."""
    if os.path.abspath(output) == DEFAULT_JSON:
        return (os.path.join(REPO, "docs", "docsite", "rst", "performance.rst"),
                os.path.join(REPO, "docs", "docsite", "rst", "images", "figures.svg"))
    stem = os.path.splitext(os.path.abspath(output))[0]
    return stem + ".rst", stem + "-figures.svg"


def measure(args: argparse.Namespace, settings: t.Mapping[str, t.Any]) -> t.Tuple[t.Dict[str, t.Any], int]:
    """Every figure, each in its own step (a step that fails leaves an error in its place); the results and whether
    all went well."""
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="cloudflow-bench-")
    results: t.Dict[str, t.Any] = {"quick": args.quick, "settings": dict(settings), "machine": machine_info(), "figures": {}}
    exit_code = 0
    emulator_process: t.Optional[EmulatorProcess] = None
    try:
        say("starting the emulator")
        emulator_process = start_emulator(workdir)
        emulator = emulator_process.control
        say("emulator at " + emulator.url)
        runner = make_runner(workdir, emulator.url)
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
            results["figures"][key] = value
            say("  {0:.1f} s{1}".format(time.monotonic() - step_started, "; ERROR: " + value["error"] if "error" in value else ""))
        results["figures"]["memory"] = memory_figure(runner)
    except BenchError as error:
        say("cannot run: " + str(error))
        results["error"] = str(error)
        exit_code = 1
    finally:
        if emulator_process is not None:
            emulator_process.stop(timeout=10)
        if args.keep_temp:
            say("kept " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["elapsed_seconds"] = time.monotonic() - started
    return results, exit_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (fewer trials, N=50, 20 flows in figure 8)")
    parser.add_argument("--output", help=("results JSON (default docs/docsite/performance.json; with --quick a file in the "
                                          "temporary directory of the system)"))
    parser.add_argument("--no-render", dest="render", action="store_false",
                        help="only measure; bench/render.py writes the page (the published one for the published JSON, "
                             "else beside the JSON)")
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
    results, exit_code = measure(args, settings)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
        handle.write("\n")
    say("wrote {0} (measured in {1:.0f} s)".format(args.output, results["elapsed_seconds"]))
    if args.render:
        rst, chart = render_targets(args.output)
        say("rendering: bench/render.py {0} --rst {1} --chart {2}".format(args.output, rst, chart))
        rendered = subprocess.call([sys.executable, os.path.join(BENCH, "render.py"), args.output, "--rst", rst, "--chart", chart])
        exit_code = exit_code or rendered
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
