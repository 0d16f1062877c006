# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Callback of `cloudflow_emulator.playbooks`: what a playbook did, as one JSON document.

At the end of the play it writes {"tasks": [...], "registered": {...}} to the path in
$CLOUDFLOW_PLAYBOOK_RECORD (nothing when it is unset):

- tasks: one record per task, in order: name, action (the FQCN once Ansible has resolved it),
  start and end (time.time(), comparable with the emulator's wall-clock timestamps), status (ok,
  failed, skipped, unreachable; None when it never finished), items_ran and items_skipped (loop
  items), and result: a few small fields of the result (changed, failed, msg, failed_executions,
  counts of executions and items).
- registered: the result of every task that registers a name, keyed by that name, as the
  controller received it (after Ansible's own no_log masking: what a user sees).
"""
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

RECORD_VARIABLE = "CLOUDFLOW_PLAYBOOK_RECORD"
RESULT_KEYS = ("changed", "failed", "msg", "failed_executions")


def _on(status, item=False):
    """A v2_runner_*on_* handler: the event is the outcome (see CallbackModule._shaped)."""
    def handler(self, result, **_ignored):
        (self._item if item else self._finish)(result, status)
    return handler


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "cloudflow_playbook_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks = []
        self.current = None
        self.registered = {}
        self.items = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.current = {"name": task.get_name(), "action": task.action, "start": time.time(), "end": None, "status": None,
                        "result": {}, "items_ran": 0, "items_skipped": 0}
        self.tasks.append(self.current)

    @staticmethod
    def _names(result):
        register = getattr(result._task, "register", None)
        # ansible-core 2.19+ keeps register as a {name: projection} mapping; older ones as the name.
        return list(register) if isinstance(register, dict) else [register] if register else []

    @staticmethod
    def _shaped(result, status):
        # The event says whether the task failed or was skipped: the copies of the result that ansible-core hands
        # to callbacks lose "failed" and "skipped" (TaskResult.clean_copy on 2.18) or keep them beside the dict
        # (2.19+), so neither the dict nor is_failed() can be trusted here. "changed" survives the copy on every core.
        shaped = dict(result._result)
        shaped["failed"] = status in ("failed", "unreachable")
        shaped["changed"] = bool(result.is_changed())
        if status == "skipped":
            shaped["skipped"] = True
        return shaped

    def _resolve(self, result):
        """The task's action as an FQCN, once Ansible has resolved it (read from the attribute behind
        resolved_action, which warns when it is read from a hook that ansible-core does not name for it)."""
        resolved = getattr(getattr(result, "_task", None), "_resolved_action", None)
        if resolved and self.current is not None:
            self.current["action"] = resolved

    def _item(self, result, status):
        for name in self._names(result):
            self.items.setdefault(name, []).append(self._shaped(result, status))
        if self.current is not None:
            self._resolve(result)
            self.current["items_skipped" if status == "skipped" else "items_ran"] += 1

    def _finish(self, result, status):
        now = time.time()
        for name in self._names(result):
            shaped = self._shaped(result, status)
            if name in self.items:
                shaped["results"] = self.items.pop(name)
            self.registered[name] = shaped
        if self.current is None:
            return
        if not self.current["items_ran"] and not self.current["items_skipped"]:
            self._resolve(result)
        self.current["end"] = now
        self.current["status"] = status
        self.current["result"] = self._summary(getattr(result, "_result", None) or {})

    @staticmethod
    def _summary(raw):
        shown = {}
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
        return shown

    v2_runner_on_ok = _on("ok")
    v2_runner_on_failed = _on("failed")
    v2_runner_on_skipped = _on("skipped")
    v2_runner_on_unreachable = _on("unreachable")
    v2_runner_item_on_ok = _on("ok", item=True)
    v2_runner_item_on_failed = _on("failed", item=True)
    v2_runner_item_on_skipped = _on("skipped", item=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get(RECORD_VARIABLE)
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump({"tasks": self.tasks, "registered": self.registered}, handle, indent=1, default=str)
