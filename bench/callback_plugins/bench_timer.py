# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark-only callback: records wall-clock start and end of every task as JSON.

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
        self._current = {"name": task.get_name(), "start": time.time(), "end": None, "status": None, "result": {}}
        self._tasks.append(self._current)

    def _finish(self, result, status):
        now = time.time()
        if self._current is None:
            return
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
