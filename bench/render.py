# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The performance page from the bench's JSON (bench/run.py runs it after measuring; it also runs alone):

    python bench/render.py [docs/docsite/performance.json] [--rst docs/docsite/rst/performance.rst]
                           [--chart docs/docsite/rst/images/figures.svg]

It judges each figure against its target (the table), writes the page with the table, a chart of every figure
against its target or ceiling, how each figure is measured and what missed, and prints the table. Standard library
only: it reads the JSON and nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import typing as t

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_JSON = os.path.join(REPO, "docs", "docsite", "performance.json")
DEFAULT_RST = os.path.join(REPO, "docs", "docsite", "rst", "performance.rst")
DEFAULT_CHART = os.path.join(REPO, "docs", "docsite", "rst", "images", "figures.svg")
RST_LABEL = "ansible_collections.seed.cloudflow.docsite.performance"
# The service's quota of StopExecution and the other operations (burst, refill per second), before scaling.
OTHER_QUOTA = (10.0, 2.0)
COLLECTION_PREFIX = "seed.cloudflow."
# What the page says for each key of "figures" (a key it does not know is listed as not rendered, never dropped).
FIGURES = ("task_cost", "module_split", "wait", "bulk", "memory", "bulk_wait", "quiesce", "window_scale")
CHART_CAP = 2.0
# Figure 2's scenarios in the order of the page (the JSON's keys are sorted).
CALLS_ORDER = ("noop_stop", "stop_running", "check_stop", "start", "check_start", "wait_stop", "callsbulk", "callsbulkcheck", "cost_stops")


def fmt_s(value: t.Optional[float], digits: int = 3) -> str:
    return "n/a" if value is None else "{0:.{1}f} s".format(value, digits)


def times(value: t.Optional[float], digits: int = 2) -> str:
    return "n/a" if not value else "{0:.{1}f}x".format(value, digits)


class Table:
    """The rows of the results table. A row may carry a gauge for the chart: a short label and the measured value
    divided by what it is held against (its target, or a ceiling where there is no target), 1.0 = on the line."""

    def __init__(self) -> None:
        self.rows: t.List[t.Dict[str, t.Any]] = []

    def row(self, figure: str, metric: str, value: str, target: str = "", ok: t.Optional[bool] = None,
            gauge: t.Optional[t.Tuple[str, t.Optional[float], str]] = None) -> None:
        entry = {"figure": figure, "metric": metric, "value": value, "target": target,
                 "verdict": ("n/a" if ok is None else "PASS" if ok else "MISS") if target else ""}
        if gauge is not None and gauge[1] is not None:
            entry["gauge"] = {"label": gauge[0], "ratio": gauge[1], "text": gauge[2]}
        self.rows.append(entry)

    def not_measured(self, figure: str, value: t.Mapping[str, t.Any]) -> None:
        self.row(figure, "not measured", str(value.get("error")))


# ---------------------------------------------------------------------------------------------
# the table, figure by figure


def task_cost_rows(table: Table, one: t.Mapping[str, t.Any]) -> None:
    cost = one["task_cost"]
    table.row("1 task cost", "ping task, median of {0}".format(cost["pairs"]), fmt_s(cost["ping_median_s"]))
    table.row("1 task cost", "stop task (Running -> Stopped), median of {0}".format(cost["pairs"]), fmt_s(cost["stop_median_s"]))
    ratio = cost["ratio"]
    table.row("1 task cost", "stop / ping", times(ratio), "<= 1.30x", None if ratio is None else ratio <= 1.3,
              gauge=("1 task cost: stop task / ping task", ratio / 1.3 if ratio else None, times(ratio)))


def module_split_rows(table: Table, split: t.Mapping[str, t.Any]) -> None:
    m = split["median_s"]
    table.row("1 module split", "imports: httpx + httpcore / ansible basic / collection", "{0:.0f} + {1:.0f} / {2:.0f} / {3:.0f} ms".format(
        m["import_httpx"] * 1000, m["import_httpcore"] * 1000, m["import_basic"] * 1000, m["import_collection"] * 1000))
    table.row("1 module split", "argument handling / client setup", "{0:.1f} / {1:.1f} ms".format(m["args"] * 1000, m["client"] * 1000))
    table.row("1 module split", "HTTP (Describe + Stop) / exit_json", "{0:.1f} / {1:.1f} ms".format(m["http"] * 1000, m["exit"] * 1000))
    table.row("1 module split", "process wall (incl. interpreter start)", "{0:.0f} ms".format(m["process_wall"] * 1000))


def calls_rows(table: Table, one: t.Mapping[str, t.Any]) -> None:
    calls = one["calls"]
    for entry in [calls[key] for key in CALLS_ORDER if key in calls] + [calls[key] for key in sorted(set(calls) - set(CALLS_ORDER))]:
        value = "{0:g} requests ({1:g} read, {2:g} write)".format(entry["requests"], entry["reads"], entry["writes"])
        target = entry.get("target")
        ok = None
        if target == "1 request":
            ok = entry["requests"] == 1 and entry["writes"] == 0
        elif target == "2 requests":
            ok = entry["requests"] == 2 and entry["writes"] == 1
        elif target == "reads only":
            ok = entry["writes"] == 0 and entry["requests"] >= 1
        table.row("2 calls", entry["label"], value, target or "", ok)


def wait_rows(table: Table, three: t.Mapping[str, t.Any]) -> None:
    module, poller = three["module"], three["fixed_5s_polling"]
    table.row("3 wait latency", "module wait=true, D = {0:g} s: mean / median (n={1})".format(three["stop_delay_seconds"], len(module["trials"])),
              "{0} / {1} (max {2})".format(fmt_s(module["mean_s"]), fmt_s(module["median_s"]), fmt_s(module["max_s"])),
              "<= 0.25 s (median)", None if module["median_s"] is None else module["median_s"] <= 0.25,
              gauge=("3 wait latency: median", module["median_s"] / 0.25 if module["median_s"] is not None else None, fmt_s(module["median_s"])))
    split = three.get("split") or {}
    if split.get("in_process_long_poll_trials"):
        table.row("3 wait latency", "split: long-poll wake-up alone, in process (median, n={0})".format(
            len(split["in_process_long_poll_trials"])), fmt_s(split["in_process_long_poll_median_s"]))
    if split.get("trials"):
        table.row("3 wait latency", "split: Stopped -> module process exit / exit -> task result (median, n={0})".format(
            len(split["trials"])), "{0} / {1}".format(fmt_s(split["module_part_median_s"]), fmt_s(split["controller_part_median_s"])))
    table.row("3 wait latency", "fixed 5 s polling: mean / median (n={0})".format(len(poller["trials"])),
              "{0} / {1}".format(fmt_s(poller["mean_s"]), fmt_s(poller["median_s"])), "~2.5 s (reference)")


def bulk_rows(table: Table, four: t.Mapping[str, t.Any]) -> None:
    for run in four["runs"]:
        label = "bulk N={0}".format(run["n"])
        fraction = run["fraction_of_ceiling"]
        if fraction is not None:
            table.row("4 bulk stop", label + ": stops/s achieved vs ceiling", "{0:.1f} vs {1:.1f}/s = {2:.0%}".format(
                run["achieved_stops_per_s"], run["ceiling_stops_per_s"], fraction), ">= 85%", fraction >= 0.85,
                gauge=("4 bulk stop N={0}: stop rate / quota's rate".format(run["n"]), 0.85 / fraction if fraction else None,
                       "{0:.0%}".format(fraction)))
        else:
            table.row("4 bulk stop", label + ": stops/s achieved (quota not binding, N <= burst {0:g})".format(run["ceiling"]["burst"]),
                      "{0:.1f}/s".format(run["achieved_stops_per_s"] or 0.0))
        table.row("4 bulk stop", label + ": task time / 429s / failed stops", "{0} / {1} / {2}".format(
            fmt_s(run["task_seconds"], 2), run["throttled_429"], run["failed_stops"]), "0 failed", run["failed_stops"] == 0)
        counts = run["requests_by_action"]
        table.row("4 bulk stop", label + ": requests (ListExecutions / StopExecution incl. retries)", "{0} ({1} / {2})".format(
            run["requests_total"], counts.get("ListExecutions", 0), counts.get("StopExecution", 0)))
        speedup = run["speedup_vs_loop"]
        target = ">= 20x" if run["n"] == 500 else ""
        table.row("4 bulk stop", label + ": vs loop of single tasks (extrapolated {0})".format(fmt_s(run["loop_extrapolated_seconds"], 1)),
                  "{0:.1f}x faster".format(speedup), target, (speedup >= 20) if target else None,
                  gauge=("4 bulk stop N=500: speed-up over a loop", 20.0 / speedup, "{0:.1f}x".format(speedup)) if target and speedup else None)
    loop = four["loop"]
    table.row("4 bulk stop", "loop of single tasks, N={0} (measured)".format(loop["n"]), "{0} ({1} per item)".format(
        fmt_s(loop["task_seconds"], 2), fmt_s(loop["per_item_seconds"], 3)))


def memory_rows(table: Table, five: t.Mapping[str, t.Any], quick: bool) -> None:
    peaks = five["peak_rss_mib"]
    for key, label, limit in (("ping", "ping task (reference)", None), ("single-stop", "single stop", 64)):
        if peaks.get(key) is None:
            table.row("5 memory", label, "not measured")
            continue
        value = "{0:.1f} MiB".format(peaks[key])
        table.row("5 memory", "peak RSS, " + label, value, "<= {0} MiB".format(limit) if limit else "", (peaks[key] <= limit) if limit else None,
                  gauge=("5 memory: peak RSS, " + label, peaks[key] / limit, value) if limit else None)
    bulk_keys = sorted((key for key in peaks if key.startswith("bulk-")), key=lambda key: int(key[5:]))
    for key in bulk_keys:
        target, value = "<= 96 MiB" if key == "bulk-500" else "", "{0:.1f} MiB".format(peaks[key])
        table.row("5 memory", "peak RSS, bulk stop N={0}".format(key[5:]), value, target, (peaks[key] <= 96) if target else None,
                  gauge=("5 memory: peak RSS, bulk stop N=500", peaks[key] / 96, value) if target else None)
    if "bulk-500" not in bulk_keys:
        table.row("5 memory", "peak RSS, bulk stop N=500", "not measured (quick run)" if quick else "not measured", "<= 96 MiB", None)


def bulk_wait_rows(table: Table, six: t.Mapping[str, t.Any]) -> None:
    label = "N={0}, quota_scale {1:g}".format(six["n"], six["quota_scale"])
    module, old = six["module"], six["long_poll_in_process"]
    ratio = module["ratio_to_ceiling"]
    table.row("6 bulk wait", label + ": task time vs StopExecution ceiling {0}".format(fmt_s(six["stop_ceiling_seconds"], 1)),
              "{0} = {1}".format(fmt_s(module["task_seconds"], 2), times(ratio)), "<= 1.10x", None if ratio is None else ratio <= 1.10,
              gauge=("6 bulk wait: time / StopExecution ceiling", ratio / 1.10 if ratio else None, times(ratio)))
    describes = module["requests_by_action"].get("DescribeExecution", 0)
    table.row("6 bulk wait", label + ": DescribeExecution calls", str(describes), "<= {0:g}".format(six["n"] / 10), describes <= six["n"] / 10,
              gauge=("6 bulk wait: DescribeExecution calls", describes / (six["n"] / 10.0), str(describes)))
    table.row("6 bulk wait", label + ": ListExecutions / StopExecution calls, 429s, not stopped", "{0} / {1}, {2}, {3}".format(
        module["requests_by_action"].get("ListExecutions", 0), module["requests_by_action"].get("StopExecution", 0),
        module["throttled_429"], module["not_stopped"]))
    table.row("6 bulk wait", label + ": per-execution long-poll (before), in process: time, DescribeExecution calls",
              "{0} = {1}, {2}".format(fmt_s(old["task_seconds"], 2), times(old["ratio_to_ceiling"]),
                                      old["requests_by_action"].get("DescribeExecution", 0)))


def quiesce_rows(table: Table, seven: t.Mapping[str, t.Any]) -> None:
    label = "{0} flows x {1} executions, {2} schedules".format(seven["flows"], seven["executions_per_flow"], seven["schedules_enabled"])
    targets = seven.get("targets") or {}
    limit, most_429, runs = targets.get("ratio_to_ceiling", 1.10), targets.get("throttled_429", 10), targets.get("module_runs", 1)
    ratio = seven["ratio_to_ceiling"]
    table.row("7 quiesce", label + ": role time vs ceiling {0}".format(fmt_s(seven["ceiling_seconds"], 1)),
              "{0} = {1}".format(fmt_s(seven["role_seconds"], 2), times(ratio)), "<= {0:.2f}x".format(limit),
              None if ratio is None else ratio <= limit, gauge=("7 quiesce: role time / quota ceiling", ratio / limit if ratio else None, times(ratio)))
    table.row("7 quiesce", "429 answers (all actions)", str(seven["throttled_429"]), "<= {0}".format(most_429),
              seven["throttled_429"] <= most_429, gauge=("7 quiesce: 429 answers", seven["throttled_429"] / float(most_429), str(seven["throttled_429"])))
    by_module = ", ".join("{0} {1}".format(count, name[len(COLLECTION_PREFIX):]) for name, count in sorted(seven["module_runs_by_module"].items()))
    table.row("7 quiesce", "module runs per window (counted from the task records)", "{0} ({1})".format(seven["module_runs"], by_module or "none"),
              "== {0}".format(runs), seven["module_runs"] == runs)
    for action, entry in sorted(seven["calls"].items()):
        table.row("7 quiesce", "{0}: calls, accepted (429s), ceiling".format(action), "{0}, {1} ({2}), {3}".format(
            entry["calls"], entry["accepted"], entry["throttled_429"], fmt_s(entry["ceiling_seconds"], 1)))
    if seven.get("phases"):
        table.row("7 quiesce", "cloudflow_window task {0}: phases".format(fmt_s(seven.get("window_task_seconds"), 2)), phase_text(seven["phases"]))
    table.row("7 quiesce", label + ": failures caused by 429 / schedules disabled / executions stopped", "{0} / {1} / {2}".format(
        seven["failed_by_429"], seven["schedules_disabled"], seven["executions_stopped"]), "0 failed",
        seven["failed_by_429"] == 0 and seven["role_status"] == "ok")


def window_scale_rows(table: Table, eight: t.Mapping[str, t.Any]) -> None:
    name = "8 window at scale"
    new = eight["new"]
    label = "{0} flows x 2 schedules, nothing running".format(eight["flows"])
    ratio, shared_ratio = new["ratio_to_ceiling"], new["ratio_to_shared_bucket_ceiling"]
    table.row(name, label + ": role time vs ceiling {0} (max over ListFlows, ListSchedules, UpdateSchedule)".format(
        fmt_s(new["ceiling_seconds"], 1)), "{0} = {1}".format(fmt_s(new["role_seconds"], 2), times(ratio) if ratio else "n/a (the quota does not bind)"),
        gauge=("8 window at scale: role time / quota ceiling", ratio, times(ratio)))
    table.row(name, "role time vs one shared bucket for the three actions {0}".format(fmt_s(new["shared_bucket_ceiling_seconds"], 1)),
              times(shared_ratio) if shared_ratio else "n/a (the quota does not bind)")
    for action in eight["ceiling_actions"]:
        entry = new["calls"].get(action, {"calls": 0, "accepted": 0, "throttled_429": 0, "ceiling_seconds": 0.0})
        table.row(name, "{0}: calls, accepted (429s), ceiling".format(action), "{0}, {1} ({2}), {3}".format(
            entry["calls"], entry["accepted"], entry["throttled_429"], fmt_s(entry["ceiling_seconds"], 1)))
    share = new["list_executions_share_of_requests"]
    table.row(name, "ListExecutions (two per flow: is anything in progress?): calls, ceiling, share of requests",
              "{0}, {1}, {2}".format(new["list_executions_calls"], fmt_s(new["list_executions_ceiling_seconds"], 1),
                                     "{0:.0%}".format(share) if share is not None else "n/a"))
    bound = new["phase_ordered_bound_seconds"]
    table.row(name, "bound with the window's phases in order (flows, then schedules and executions, then disable)",
              "{0} ({1:.2f}x)".format(fmt_s(bound, 1), new["role_seconds"] / bound) if bound else "n/a",
              gauge=("8 window at scale: role time / phase-ordered bound", new["role_seconds"] / bound if bound else None,
                     times(new["role_seconds"] / bound if bound else None)))
    if new.get("phases"):
        table.row(name, "cloudflow_window task {0}: phases".format(fmt_s(new.get("window_task_seconds"), 2)), phase_text(new["phases"]))
    table.row(name, "module runs / requests / 429s", "{0} / {1} / {2}".format(new["module_runs"], new["requests_total"], new["throttled_429"]))
    table.row(name, "schedules disabled / role status", "{0} of {1} / {2}".format(
        new["schedules_disabled"], eight["schedules_enabled"], new["role_status"]), "all disabled",
        new["schedules_disabled"] == eight["schedules_enabled"] and new["role_status"] == "ok")
    old = eight.get("old") or {}
    before = "role at {0} (before cloudflow_window)".format(old_commit(eight)[:7])
    if "skipped" in old or "error" in old:
        table.row(name, before, "not measured: " + (old.get("skipped") or old.get("error") or ""))
    elif old:
        table.row(name, before + ": role time, same seeded state", "{0} ({1} its ceiling {2})".format(
            fmt_s(old["role_seconds"], 2), times(old["ratio_to_ceiling"]) if old["ratio_to_ceiling"] else "n/a:", fmt_s(old["ceiling_seconds"], 1)),
            gauge=("8 window at scale: role at {0} / quota ceiling".format(old_commit(eight)[:7]), old["ratio_to_ceiling"], times(old["ratio_to_ceiling"])))
        table.row(name, before + ": module runs / requests / 429s", "{0} / {1} / {2}".format(
            old["module_runs"], old["requests_total"], old["throttled_429"]))
        table.row(name, before + ": calls by action", ", ".join("{0} {1}".format(action, entry["calls"]) for action, entry in sorted(old["calls"].items())))
        table.row(name, before + ": schedules disabled / role status", "{0} of {1} / {2}".format(
            old["schedules_disabled"], eight["schedules_enabled"], old["role_status"]))
        table.row(name, "speed-up of the role now over the role before", "{0:.1f}x".format(eight["speedup"]) if eight.get("speedup") else "n/a")


def old_commit(eight: t.Mapping[str, t.Any]) -> str:
    return str(eight.get("old_commit") or (eight.get("old") or {}).get("commit") or "the commit before cloudflow_window")


def phase_text(phases: t.Mapping[str, t.Any]) -> str:
    """The phases of a window run as 'start-up 0.41 s; reading 12.3 s (ListExecutions 400, ...); ...'."""
    parts = []
    for phase in phases.get("phases", []):
        calls = ", ".join("{0} {1}".format(action, count) for action, count in phase["calls"].items())
        parts.append("{0} {1}{2}".format(phase["phase"].split(" (")[0], fmt_s(phase["seconds"], 2), " ({0})".format(calls) if calls else ""))
    return "; ".join(parts)


def build_rows(results: t.Mapping[str, t.Any]) -> t.List[t.Dict[str, t.Any]]:
    """Every figure of the JSON, in the page's order; a figure that could not be measured says why."""
    figures = results["figures"]
    table = Table()
    labels = {"task_cost": "1 task cost", "module_split": "1 module split", "wait": "3 wait latency", "bulk": "4 bulk stop",
              "memory": "5 memory", "bulk_wait": "6 bulk wait", "quiesce": "7 quiesce", "window_scale": "8 window at scale"}
    writers: t.Dict[str, t.Callable[[Table, t.Mapping[str, t.Any]], None]] = {
        "task_cost": task_cost_rows, "module_split": module_split_rows, "wait": wait_rows, "bulk": bulk_rows,
        "memory": lambda table, five: memory_rows(table, five, results["quick"]), "bulk_wait": bulk_wait_rows,
        "quiesce": quiesce_rows, "window_scale": window_scale_rows}
    for key in FIGURES:
        value = figures.get(key)
        if value is None:
            pass
        elif "error" in value:
            table.not_measured(labels[key], value)
        else:
            writers[key](table, value)
        if key == "module_split" and "error" not in (figures.get("task_cost") or {"error": ""}):
            calls_rows(table, figures["task_cost"])  # figure 2 comes from figure 1's playbook
    for key in sorted(set(figures) - set(FIGURES)):
        table.row(key, "not rendered", "bench/render.py does not know this figure; its numbers are in the JSON")
    return table.rows


def print_table(rows: t.Sequence[t.Mapping[str, str]]) -> None:
    headers = ("figure", "metric", "value", "target", "verdict")
    widths = [max(len(header), *(len(row[header]) for row in rows)) if rows else len(header) for header in headers]
    print("  ".join(header.ljust(width) for header, width in zip(headers, widths)))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print("  ".join(row[header].ljust(width) for header, width in zip(headers, widths)))


# ---------------------------------------------------------------------------------------------
# notes: what explains a miss


def automatic_notes(results: t.Mapping[str, t.Any]) -> t.List[str]:
    notes = []
    figures = results["figures"]
    one, split = figures.get("task_cost"), figures.get("module_split")
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
            text += (" (in the split trials, the module process had exited {0:.3f} s after Stopped and the controller "
                     "took {1:.3f} s more to report the result)").format(split["module_part_median_s"], split["controller_part_median_s"])
        notes.append(text + ".")
    bulk = figures.get("bulk")
    if bulk and "error" not in bulk:
        for run in bulk["runs"]:
            if run["fraction_of_ceiling"] is not None and run["fraction_of_ceiling"] < 0.85:
                notes.append("Bulk N={0}: the stop phase took {1:.2f} s against a quota minimum of {2:.2f} s ({3} responses were 429).".format(
                    run["n"], run["stop_phase_seconds"], run["ceiling"]["min_seconds"], run["throttled_429"]))
            if run["n"] == 500 and run["speedup_vs_loop"] is not None and run["speedup_vs_loop"] < 20:
                notes.append(("Bulk N=500 against the loop: the bulk task took {0:.2f} s, the extrapolated loop {1:.1f} s "
                              "({2:.1f}x); at the quota's sustained rate the bulk task cannot take less than {3:.1f} s, "
                              "so the ratio is bounded by the loop's per-task cost times the refill rate.").format(
                                  run["task_seconds"], run["loop_extrapolated_seconds"], run["speedup_vs_loop"], run["ceiling"]["min_seconds"]))
            if run["throttled_429"]:
                notes.append("Bulk N={0}: the emulator answered {1} StopExecution/other requests with 429; the module "
                             "retried them.".format(run["n"], run["throttled_429"]))
    seven = figures.get("quiesce")
    if seven and "error" not in seven and seven.get("ratio_to_ceiling") and seven["ratio_to_ceiling"] > seven["targets"]["ratio_to_ceiling"]:
        binding = max(seven["calls"].items(), key=lambda item: item[1]["ceiling_seconds"])
        text = "Quiesce: the role took {0:.2f} s against a ceiling of {1:.2f} s ({2}, {3} accepted calls)".format(
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


# ---------------------------------------------------------------------------------------------
# the chart: every gauge of the table on one axis


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def render_chart(rows: t.Sequence[t.Mapping[str, t.Any]]) -> str:
    """One horizontal bar per gauge: the figure as a share of its target (green when met, red when missed), or of
    its quota ceiling where the figure has no target (grey). The line at 1 is the target or the ceiling; a bar
    longer than the axis is cut, and its value says so."""
    gauged = [row for row in rows if "gauge" in row]
    label_w, bar_w, value_w, row_h, top = 330, 300, 270, 26, 62
    width, height = label_w + bar_w + value_w, top + row_h * len(gauged) + 52
    bottom = top + row_h * len(gauged)

    def x(ratio: float) -> float:
        return label_w + min(ratio, CHART_CAP) / CHART_CAP * bar_w

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" '
           'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">'.format(width, height),
           '<title>Each figure against its target, or its quota ceiling</title>',
           '<rect x="0" y="0" width="{0}" height="{1}" fill="#ffffff"/>'.format(width, height),
           '<text x="10" y="22" font-size="15" font-weight="bold">Each figure against its target (green: met, red: missed)</text>',
           '<text x="10" y="42" fill="#555555">bar: measured / target (target / measured where more is better); '
           'grey: no target, measured / quota ceiling</text>']
    for tick in (0.0, 0.5, 1.0, 1.5, 2.0):
        out.append('<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="{3}" stroke-width="{4}"/>'.format(
            x(tick), top - 4, bottom, "#333333" if tick == 1.0 else "#dddddd", 2 if tick == 1.0 else 1))
        out.append('<text x="{0:.1f}" y="{1}" text-anchor="middle">{2:g}</text>'.format(x(tick), bottom + 16, tick))
    out.append('<text x="{0:.1f}" y="{1}" text-anchor="middle" fill="#555555">1 = the target (grey: the ceiling)</text>'.format(
        x(1.0), bottom + 34))
    for index, row in enumerate(gauged):
        gauge = row["gauge"]
        y = top + index * row_h
        color = "#999999" if not row["target"] else "#2ca02c" if row["verdict"] == "PASS" else "#d62728"
        text = gauge["text"] + (", target " + row["target"] if row["target"] else "") + (" (beyond the axis)" if gauge["ratio"] > CHART_CAP else "")
        out.append('<text x="{0}" y="{1}" text-anchor="end">{2}</text>'.format(label_w - 8, y + 16, escape(gauge["label"])))
        out.append('<rect x="{0}" y="{1}" width="{2:.1f}" height="16" fill="{3}"/>'.format(
            label_w, y + 4, max(2.0, x(gauge["ratio"]) - label_w), color))
        out.append('<text x="{0}" y="{1}" fill="#333333">{2}</text>'.format(
            label_w + bar_w + 10, y + 16, escape(text.replace("<= ", "\u2264 ").replace(">= ", "\u2265 "))))
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# the page


def rst_escape(text: str) -> str:
    for char in ("\\", "*", "`", "|", "_"):
        text = text.replace(char, "\\" + char)
    return text


def render_rst(results: t.Mapping[str, t.Any], rows: t.Sequence[t.Mapping[str, t.Any]], notes: t.Sequence[str],
               chart_relative: t.Optional[str]) -> str:
    machine = results["machine"]
    lines = [
        ".. _{0}:".format(RST_LABEL),
        "",
        "..",
        "  This page is generated by bench/render.py from docs/docsite/performance.json (make bench); edit the generator,",
        "  not this file.",
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
    ]
    if chart_relative:
        lines += [
            ".. image:: {0}".format(chart_relative),
            "  :alt: Each figure's measured value divided by its target (or, for figure 8, by its quota ceiling)",
            "",
        ]
    lines += [
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
    lines += ["How each figure is measured", "---------------------------", ""]
    lines += method_paragraphs(results)
    lines += ["Discussion", "----------", ""]
    lines += discussion_paragraphs(rows, notes)
    lines += [
        "Reproducing",
        "-----------",
        "",
        "Run ``make bench`` from a clone (``BENCH_ARGS=--quick`` for a short smoke run, which leaves this page alone). It",
        "starts the emulator on 127.0.0.1, runs playbooks on the implicit localhost with a temporary ``HOME`` and no",
        "proxies, and writes ``docs/docsite/performance.json`` (every raw measurement); ``bench/render.py`` then writes",
        "this page and its chart from that file (it also runs alone, on an existing file).",
        "",
    ]
    return "\n".join(lines)


def method_paragraphs(results: t.Mapping[str, t.Any]) -> t.List[str]:
    """How each figure is measured, as a numbered RST list; the parts that depend on the run come from the JSON."""
    figures = results["figures"]
    wait, bulk, six, eight = (figures.get(key) or {} for key in ("wait", "bulk", "bulk_wait", "window_scale"))
    bulk_scale = bulk.get("quota_scale", 20.0)
    window_scale = six.get("quota_scale", eight.get("quota_scale", 4.0))
    items = [
        "**Task cost.** One playbook alternates ``ansible.builtin.ping`` tasks and ``cloudflow_execution`` stop tasks (each "
        "stopping a different Running execution), after one warm-up of each. A callback plugin records the wall time from "
        "task start to the result. The table gives the medians and the ratio of the medians. The module's own time split "
        "comes from ``bench/module_split.py``, which runs the module's steps in a fresh Python process with "
        "``time.perf_counter()`` between them (imports, argument handling, client construction, HTTP, ``exit_json``); it "
        "does not go through AnsiballZ, so the AnsiballZ unpacking and Ansible's own per-task work are not in it.",
        "**Calls.** Requests per scenario counted from the emulator's request log (each scenario uses its own execution "
        "name, so the entries are attributed exactly).",
        "**Wait latency.** The emulator's ``stop_delay_seconds`` is set to {0} s. Latency is the time from the execution's "
        "``StoppedTime`` (the moment the emulator marked it Stopped, millisecond resolution) to the moment the callback sees "
        "the task's result. The reference is a fixed 5-second poller ({1}). Two split measurements explain the module's "
        "figure: a ``DescribeExecution`` long-poll run inside the benchmark process (the wake-up alone), and extra wait "
        "tasks run through the interpreter shim of figure 5, which records when the module process exited.".format(
            wait.get("stop_delay_seconds", "D"), rst_escape((wait.get("fixed_5s_polling") or {}).get("method", "see the JSON"))),
        "**Bulk stop.** N Running executions are seeded; one task with ``filters: {{}}`` stops them with ``quota_scale: "
        "{0:g}`` against an emulator whose quotas are scaled by the same factor (StopExecution: burst {1:g}, refill {2:g} "
        "per second). The ceiling is ``T_min(N) = max(0, N - burst) / rate``, the earliest the N-th stop can be accepted "
        "after the first; the fraction of the ceiling is ``T_min / T`` with ``T`` taken from the first StopExecution "
        "request to the last accepted one in the emulator's log (the stop phase). For N at or below the burst the quota "
        "does not bind and no fraction is given. The loop comparison runs one task with ``loop:`` over a smaller number "
        "of executions and extrapolates its time per item linearly to N.".format(
            bulk_scale, OTHER_QUOTA[0] * bulk_scale, OTHER_QUOTA[1] * bulk_scale),
        "**Memory.** The task's ``ansible_python_interpreter`` is a small shim that runs the real Python as a child and "
        "reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the peak resident set of the process that runs the AnsiballZ "
        "payload (the module runs inside that process).",
        "**Bulk wait.** N Running executions are seeded in an emulator that applies each stop {0:g} s after accepting it, "
        "with every quota scaled by {1:g} on both sides. One ``cloudflow_execution`` task with ``filters: {{}}`` and "
        "``wait: true`` stops and waits for them; its time, from the callback, is compared with the StopExecution ceiling "
        "``(N - burst) / rate``. The same stop with one ``DescribeExecution`` long-poll per execution (the wait before the "
        "paged watch) runs in the benchmark process, at the same scaled quotas ({2}).".format(
            six.get("stop_delay_seconds", 1.0), window_scale, rst_escape(six.get("method", "see the JSON").split("long-poll: ", 1)[-1])),
        "**Quiesce.** Flows with Running executions and two enabled schedules each; one ``seed.cloudflow.quiesce`` run "
        "over all of them (disable the schedules, stop, wait), quotas scaled on both sides. The role's time runs from its "
        "first task's start to its last task's result. The ceiling is the largest, over the actions, of ``max(0, accepted "
        "calls - burst) / rate`` (each action has its own quota); calls and 429 answers per action come from the "
        "emulator's request log. Module runs are counted from the callback's task records (each task whose action is a "
        "``seed.cloudflow`` module counts once, or once per loop item that ran), not assumed. The phases of the "
        "``cloudflow_window`` task are cut at the first request, the last listing before the first write, the last "
        "``UpdateSchedule``, the last ``StopExecution`` and the last request, from the request log.",
        "**Window at scale.** Flows with two enabled schedules each and nothing running, quiesced through the role (found "
        "with a flow prefix), quotas scaled by {0:g} on both sides (burst {1:g}, {2:g} per second for each of the actions "
        "below). The ceiling is the largest, over ``ListFlows``, ``ListSchedules`` and ``UpdateSchedule``, of ``max(0, "
        "accepted calls - burst) / rate``, as the emulator applies one quota per action; the table also gives ``max(0, sum "
        "of their accepted calls - burst) / rate``, which would hold if the service drew them from one shared bucket (the "
        "reference leaves this open). The two ``ListExecutions`` per flow that show nothing is running have their own "
        "ceiling, given beside it, and the window's phases in order (list the flows; read schedules and executions; "
        "disable) give a third bound, the sum of each phase's largest ceiling. In the same run the emulator is reset and "
        "seeded again and the role as it was at commit {3} (before ``cloudflow_window``: one module run per listing, per "
        "schedule and per flow's stop) runs through the same playbook runner, from a copy that ``git archive`` extracts "
        "into a temporary collections directory; without git history that comparison is skipped.".format(
            window_scale, OTHER_QUOTA[0] * window_scale, OTHER_QUOTA[1] * window_scale, old_commit(eight)[:7]),
    ]
    out: t.List[str] = []
    for number, text in enumerate(items, 1):
        out += textwrap.wrap(text, width=114, initial_indent="{0}. ".format(number), subsequent_indent="   ",
                             break_long_words=False, break_on_hyphens=False)
    return out + [""]


def discussion_paragraphs(rows: t.Sequence[t.Mapping[str, t.Any]], notes: t.Sequence[str]) -> t.List[str]:
    misses = [row for row in rows if row["verdict"] == "MISS"]
    unmeasured = [row for row in rows if row["value"].startswith("not measured") or row["metric"] in ("not measured", "not rendered")]
    out: t.List[str] = []
    if not misses:
        out += ["Every target with a verdict was met in this run.", ""]
    else:
        out += ["Targets missed in this run:", ""]
        for row in misses:
            out.append("- {0}, {1}: {2} (target {3}).".format(
                rst_escape(row["figure"]), rst_escape(row["metric"]), rst_escape(row["value"]), rst_escape(row["target"])))
        out.append("")
    for note in notes:
        out += [rst_escape(note), ""]
    if unmeasured:
        out += ["Not measured: " + "; ".join(rst_escape(row["figure"] + " " + row["value"]) for row in unmeasured), ""]
    return out


# ---------------------------------------------------------------------------------------------
# main


def main(argv: t.Optional[t.Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("json", nargs="?", default=DEFAULT_JSON, help="the bench's results (default: the published ones)")
    parser.add_argument("--rst", default=DEFAULT_RST, help="the page to write; '' to only print the table")
    parser.add_argument("--chart", default=DEFAULT_CHART, help="the chart to write (an SVG file); '' for none")
    args = parser.parse_args(argv)
    with open(args.json, encoding="utf-8") as handle:
        results = json.load(handle)
    if "error" in results:
        print("[render] the run did not measure anything: " + str(results["error"]))
    rows = build_rows(results)
    notes = automatic_notes(results) if "error" not in results else []
    print_table(rows)
    for note in notes:
        print("note: " + note)
    chart_relative = None
    if args.chart:
        os.makedirs(os.path.dirname(os.path.abspath(args.chart)), exist_ok=True)
        with open(args.chart, "w", encoding="utf-8") as handle:
            handle.write(render_chart(rows))
        print("[render] wrote " + args.chart)
        if args.rst:
            chart_relative = os.path.relpath(os.path.abspath(args.chart), os.path.dirname(os.path.abspath(args.rst))).replace(os.sep, "/")
    if args.rst:
        os.makedirs(os.path.dirname(os.path.abspath(args.rst)), exist_ok=True)
        with open(args.rst, "w", encoding="utf-8") as handle:
            handle.write(render_rst(results, rows, notes, chart_relative))
        print("[render] wrote " + args.rst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
