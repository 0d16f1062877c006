# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: latest_fire_time
short_description: The last time a CloudFlow schedule expression fires within a time window
version_added: 0.1.0
description:
  - Given a CloudFlow schedule expression, returns the last time it fires after O(after) and at or before O(until),
    or V(null) when it does not fire in that window.
  - The expression is either V(@every <N>m) or a six-field cron with the seconds first, in UTC unless prefixed with
    C(CRON_TZ=<zone> ), the same forms M(seed.cloudflow.cloudflow_schedule) accepts.
  - The C(seed.cloudflow.resume) role uses it to start one catch-up execution for each schedule that would have fired
    during a maintenance window.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
options:
  _input:
    description: The schedule expression, for example V(0 30 4 ? * MON-FRI) or V(CRON_TZ=Asia/Shanghai 0 0 12 * * *).
    type: str
    required: true
  after:
    description:
      - The start of the window (excluded), an RFC 3339 time with a time zone, for example V(2024-05-01T00:00:00Z).
    type: str
    required: true
  until:
    description: The end of the window (included), an RFC 3339 time with a time zone.
    type: str
    required: true
  anchor:
    description:
      - For V(@every <N>m) only, the moment the interval counts from (fires at O(anchor) plus whole multiples of N
        minutes). Defaults to O(after). The service does not document its own phase, so a fire time computed for
        V(@every) may differ from the service's by less than one interval.
    type: str
notes:
  - Daylight saving changes in a C(CRON_TZ) zone can make the service skip or repeat a fire time; this filter
    follows the wall clock of the zone.
seealso:
  - module: seed.cloudflow.cloudflow_schedule
  - ref: ansible_collections.seed.cloudflow.docsite.maintenance_windows
    description: Maintenance windows, and catching up on resume.
"""

EXAMPLES = r"""
- name: When would the nightly schedule have fired during the window?
  ansible.builtin.debug:
    msg: "{{ '0 0 2 * * *' | seed.cloudflow.latest_fire_time('2024-05-01T20:00:00Z', '2024-05-02T06:00:00Z') }}"
  # prints 2024-05-02T02:00:00Z

- name: A schedule in another time zone
  ansible.builtin.debug:
    msg: "{{ 'CRON_TZ=Asia/Shanghai 0 0 12 * * *' | seed.cloudflow.latest_fire_time(window_start, window_end) }}"

- name: Every 90 minutes, counted from when the schedule was created
  ansible.builtin.debug:
    msg: "{{ '@every 90m' | seed.cloudflow.latest_fire_time(window_start, window_end, anchor=schedule.created_time) }}"
"""

RETURN = r"""
_value:
  description:
    - The last fire time in the window, in UTC as V(YYYY-MM-DDTHH:MM:SSZ), or V(null) when the expression does not fire
      in the window (or the window is empty).
  type: str
  sample: "2024-05-02T02:00:00Z"
"""

import typing as t
from datetime import datetime, timezone

from ansible.errors import AnsibleFilterError

from ansible_collections.seed.cloudflow.plugins.module_utils._cron import latest_fire_time as _latest_fire_time
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import CloudFlowError
from ansible_collections.seed.cloudflow.plugins.module_utils._time import parse_rfc3339


def _moment(option: str, value: t.Any) -> datetime:
    """An aware datetime from an RFC 3339 string (or a datetime), failing with the option's name."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = parse_rfc3339(value)
        except ValueError:
            raise AnsibleFilterError(
                "latest_fire_time: {0} must be an RFC 3339 time such as 2024-05-01T12:00:00Z; got {1!r}".format(option, value))
    else:
        raise AnsibleFilterError("latest_fire_time: {0} must be an RFC 3339 time as a string; got a {1}".format(option, type(value).__name__))
    if moment.utcoffset() is None:
        raise AnsibleFilterError("latest_fire_time: {0} must carry a time zone (for example a trailing Z); got {1!r}".format(option, value))
    return moment


def latest_fire_time(expression: t.Any, after: t.Any, until: t.Any, anchor: t.Any = None) -> t.Optional[str]:
    if not isinstance(expression, str) or not expression.strip():
        raise AnsibleFilterError("latest_fire_time: the input must be a schedule expression string; got {0!r}".format(expression))
    window_start = _moment("after", after)
    window_end = _moment("until", until)
    interval_anchor = _moment("anchor", anchor) if anchor not in (None, "") else None
    try:
        fire = _latest_fire_time(expression, window_start, window_end, anchor=interval_anchor)
    except (CloudFlowError, ValueError) as error:
        raise AnsibleFilterError("latest_fire_time: {0}".format(error))
    if fire is None:
        return None
    return fire.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FilterModule:
    """The latest_fire_time filter."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"latest_fire_time": latest_fire_time}
