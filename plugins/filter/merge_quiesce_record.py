# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: merge_quiesce_record
short_description: Merge what a quiesce run changed into an earlier maintenance-window record
version_added: 0.1.0
description:
  - Combines the record of an earlier C(seed.cloudflow.quiesce) run (read back from its record file) with what the
    current run changed, so that a second quiesce in the same window never forgets a schedule the first one paused.
  - Schedules and executions are keyed by flow name and name; for a key present in both records the earlier entry
    is kept, since it holds when the schedule was first paused. Flows are kept in order of first appearance.
  - The C(started_time) of the earlier record is kept (the start of the window); C(updated_time), C(cause) and
    C(check_mode) come from the current run.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
options:
  _input:
    description:
      - The earlier record, or V(null) or V({}) when there is none.
    type: dict
    required: true
  current:
    description:
      - What the current run changed, in the same shape (C(flows), C(schedules), C(executions), C(started_time)).
    type: dict
    required: true
seealso:
  - ref: ansible_collections.seed.cloudflow.docsite.maintenance_windows
    description: The record file of a maintenance window.
"""

EXAMPLES = r"""
- name: Merge this run into the record file's content
  ansible.builtin.set_fact:
    quiesce_record: "{{ previous_record | seed.cloudflow.merge_quiesce_record(this_run) }}"
"""

RETURN = r"""
_value:
  description: The merged record.
  type: dict
  contains:
    version:
      description: The record format version, V(1).
      type: int
    started_time:
      description: When the first quiesce of the window started (UTC, RFC 3339).
      type: str
    updated_time:
      description: When the last quiesce of the window ran.
      type: str
    flows:
      description: The flows quiesced.
      type: list
      elements: str
    schedules:
      description: The schedules quiesce disabled, each with C(flow_name), C(name), C(disabled_time) and what it knew of them.
      type: list
      elements: dict
    executions:
      description: The executions quiesce stopped, each with C(flow_name), C(name) and C(input).
      type: list
      elements: dict
"""

import typing as t

from ansible.errors import AnsibleFilterError

RECORD_VERSION = 1


def _entries(record: t.Mapping[str, t.Any], key: str, which: str) -> list[t.Mapping[str, t.Any]]:
    entries = record.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) and entry.get("flow_name") and entry.get("name") for entry in entries):
        raise AnsibleFilterError(
            "merge_quiesce_record: {0} record's {1} must be a list of dicts with flow_name and name".format(which, key))
    return entries


def _merged(earlier: list[t.Mapping[str, t.Any]], later: list[t.Mapping[str, t.Any]]) -> list[dict[str, t.Any]]:
    found: dict[tuple[str, str], dict[str, t.Any]] = {}
    for entry in list(earlier) + list(later):
        found.setdefault((entry["flow_name"], entry["name"]), dict(entry))
    return list(found.values())


def merge_quiesce_record(previous: t.Any, current: t.Any) -> dict[str, t.Any]:
    previous = previous or {}
    if not isinstance(previous, dict):
        raise AnsibleFilterError("merge_quiesce_record: the earlier record must be a dict or null; got a {0}".format(type(previous).__name__))
    if not isinstance(current, dict):
        raise AnsibleFilterError("merge_quiesce_record: the current record must be a dict; got a {0}".format(type(current).__name__))
    version = previous.get("version", RECORD_VERSION)
    if version != RECORD_VERSION:
        raise AnsibleFilterError("merge_quiesce_record: the earlier record has format version {0!r}; this collection reads version {1}".format(
            version, RECORD_VERSION))
    flows: list[str] = []
    for flow in list(previous.get("flows") or []) + list(current.get("flows") or []):
        if flow not in flows:
            flows.append(flow)
    merged = dict(previous)
    merged.update({key: value for key, value in current.items() if key not in ("flows", "schedules", "executions", "started_time")})
    merged.update({
        "version": RECORD_VERSION,
        "started_time": previous.get("started_time") or current.get("started_time"),
        "flows": flows,
        "schedules": _merged(_entries(previous, "schedules", "the earlier"), _entries(current, "schedules", "the current")),
        "executions": _merged(_entries(previous, "executions", "the earlier"), _entries(current, "executions", "the current")),
    })
    return merged


class FilterModule:
    """The merge_quiesce_record filter."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"merge_quiesce_record": merge_quiesce_record}
