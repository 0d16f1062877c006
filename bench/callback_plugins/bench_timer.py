# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark-only callback: records wall-clock start and end of every task as JSON.

Each task's record also names its action (the module or action plugin, resolved to its FQCN where Ansible has
resolved it) and counts the loop items that ran and that were skipped, so that bench/run.py can count the module
runs of a play (a task without a loop that was not skipped ran its module once; a loop ran it once per item).

Used by bench/run.py through ANSIBLE_CALLBACK_PLUGINS and ANSIBLE_CALLBACKS_ENABLED=bench_timer.
The output path comes from the environment variable BENCH_TIMER_OUT. Times are time.time() seconds,
so they can be compared with the emulator's wall-clock timestamps on the same machine.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Records per-task wall-clock timings for bench/run.py
description:
  - Writes one JSON document with the start and end time of every task to the path in E(BENCH_TIMER_OUT).
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

RESULT_KEYS = ("changed", "failed", "msg", "failed_executions")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tasks = []
        self._current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._current = {"name": task.get_name(), "action": task.action, "start": time.time(), "end": None, "status": None,
                         "result": {}, "items_ran": 0, "items_skipped": 0}
        self._tasks.append(self._current)

    def _resolve(self, result):
        """The task's action as an FQCN, once Ansible has resolved it (read from the attribute behind resolved_action,
        which warns when it is read from a hook that ansible-core does not name for it)."""
        task = getattr(result, "_task", None)
        resolved = getattr(task, "_resolved_action", None)
        if resolved and self._current is not None:
            self._current["action"] = resolved

    def _item(self, result, ran):
        if self._current is None:
            return
        self._resolve(result)
        self._current["items_ran" if ran else "items_skipped"] += 1

    def _finish(self, result, status):
        now = time.time()
        if self._current is None:
            return
        if not self._current["items_ran"] and not self._current["items_skipped"]:
            self._resolve(result)
        self._current["end"] = now
        self._current["status"] = status
        shown = {}
        raw = getattr(result, "_result", None) or {}
        for key in RESULT_KEYS:
            if key in raw:
                value = raw[key]
                shown[key] = value if isinstance(value, (str, int, float, bool, list, type(None))) else str(value)
        if isinstance(raw.get("executions"), list):
            shown["executions_count"] = len(raw["executions"])
            shown["executions_changed"] = sum(1 for entry in raw["executions"] if entry.get("changed"))
        if isinstance(raw.get("results"), list):
            shown["items"] = len(raw["results"])
            shown["items_failed"] = sum(1 for entry in raw["results"] if entry.get("failed"))
            shown["items_changed"] = sum(1 for entry in raw["results"] if entry.get("changed"))
        self._current["result"] = shown

    def v2_runner_item_on_ok(self, result):
        self._item(result, True)

    def v2_runner_item_on_failed(self, result):
        self._item(result, True)

    def v2_runner_item_on_skipped(self, result):
        self._item(result, False)

    def v2_runner_on_ok(self, result):
        self._finish(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finish(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._finish(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._finish(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_TIMER_OUT")
        if not path:
            return
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"tasks": self._tasks}, handle, indent=1)
