#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_schedule
short_description: Manage the time-based schedules of Alibaba Cloud CloudFlow flows as code
version_added: 0.1.0
description:
  - Creates, updates and deletes a time-based schedule of an Alibaba Cloud CloudFlow (Serverless Workflow) flow.
  - The module reads the schedule once and sends C(UpdateSchedule) with only the fields that differ, so a second
    run with the same arguments reports no change.
  - O(payload) is compared as a JSON value, so a dict and a JSON string with other spacing or key order are the same.
  - O(cron_expression) is checked locally before any request is sent.
  - O(enabled) has no default. An existing schedule keeps its enabled state unless O(enabled) is given, so a
    schedule paused for a maintenance window (for example by the P(seed.cloudflow.quiesce#role) role) stays paused
    when the as-code play runs again.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
extends_documentation_fragment:
  - seed.cloudflow.connection
  - seed.cloudflow.connection.action_group
attributes:
  check_mode:
    description:
      - Only read calls are sent; the result and the diff show what a real run would do.
      - When the flow does not exist yet (a play that creates it in an earlier task, run with C(--check)), O(state=present)
        reports the schedule as one it would create, with a warning; a real run fails with the service's C(FlowNotExists).
    support: full
  diff_mode:
    description: The diff shows the schedule's fields before and after.
    support: full
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
options:
  flow_name:
    description:
      - The name of the flow the schedule belongs to. The flow must exist.
      - 1 to 128 characters; letters, digits, V(_) and V(-); the first character is a letter or V(_).
    type: str
    required: true
  name:
    description:
      - The name of the schedule, unique within the flow. Same naming rule as O(flow_name).
      - The service cannot rename a schedule.
    type: str
    required: true
    aliases: [schedule_name]
  state:
    description:
      - V(present) makes sure the schedule exists with the given fields; fields not given are left as they are.
      - V(absent) deletes the schedule. A schedule that does not exist, or whose flow does not exist, is no change.
    type: str
    choices: [present, absent]
    default: present
  cron_expression:
    description:
      - When the schedule fires. Required to create a schedule.
      - Either V(@every <N>m), every N minutes (unit V(m) only, N at least 1), or a six-field cron expression with the
        seconds first, C(seconds minutes hours day-of-month month day-of-week), in UTC unless prefixed with
        C(CRON_TZ=<zone> ), for example V(0 30 4 ? * MON-FRI) or V(CRON_TZ=Asia/Shanghai 0 0 12 * * *).
      - The seconds field is a single number 0-59 without special characters; minutes and hours take C(, - * /);
        day-of-month takes C(, - * ? /); month takes 1-12 or C(JAN)-C(DEC); day-of-week takes 0-6 (0 is Sunday)
        or C(SUN)-C(SAT), and C(?).
      - The service's minimum interval is one minute. A five-field Unix cron, V(@every 30s), V(@every 0m) and
        other intervals under a minute fail before any request.
      - So does a cron that can never fire because its day-of-month names no day its months have, such as
        V(0 0 0 30 2 *) (February 30th) or V(0 0 0 31 4,6 *). With both day fields restricted a day matching either
        fires, so V(0 0 0 30 2 MON) (every Monday in February) is accepted; February 29th counts.
      - Compared as text with its spacing normalised.
    type: str
  payload:
    description:
      - The JSON object the schedule passes to the executions it starts, as a dict or as a string holding a JSON object.
      - Compared as a JSON value with the schedule's payload.
    type: raw
  description:
    description:
      - The description of the schedule.
    type: str
  enabled:
    description:
      - Whether the schedule fires.
      - No default. When creating a schedule, omitting it means V(true). For an existing schedule, omitting it
        leaves the schedule enabled or disabled as it is.
    type: bool
notes:
  - Schedule calls fall in the service's quota of 10 requests at once and 2 per second; the client paces itself
    and retries C(ConcurrentUpdateError) and throttling answers (see O(retries)).
  - The service documents no way to clear a payload or a description once set.
seealso:
  - module: seed.cloudflow.cloudflow_schedule_info
  - module: seed.cloudflow.cloudflow_execution
"""

EXAMPLES = r"""
- name: Run the nightly export at 02:30 Shanghai time, with its parameters
  seed.cloudflow.cloudflow_schedule:
    region: cn-hangzhou
    flow_name: nightly-export
    name: nightly
    cron_expression: "CRON_TZ=Asia/Shanghai 0 30 2 * * *"
    payload:
      target: oss://exports/nightly
      full: false
    description: Nightly export, owned by the data team

- name: Poll every five minutes; created disabled until the rollout is done
  seed.cloudflow.cloudflow_schedule:
    flow_name: order-sync
    name: poll
    cron_expression: "@every 5m"
    enabled: false

- name: Change only the time; whether the schedule is paused stays as it is
  seed.cloudflow.cloudflow_schedule:
    flow_name: nightly-export
    name: nightly
    cron_expression: "CRON_TZ=Asia/Shanghai 0 0 3 * * *"

- name: Working days at 04:30 UTC
  seed.cloudflow.cloudflow_schedule:
    flow_name: reports
    schedule_name: weekday-report
    cron_expression: "0 30 4 ? * MON-FRI"
    payload: '{"report": "daily"}'

- name: Remove a schedule
  seed.cloudflow.cloudflow_schedule:
    flow_name: order-sync
    name: poll
    state: absent
"""

RETURN = r"""
schedule:
  description:
    - The schedule after the run; in check mode, what a real run would leave. V(null) when it does not exist.
    - In check mode a schedule that would be created has no RV(schedule.id) and no times yet.
  returned: always
  type: dict
  contains:
    name:
      description: The schedule name.
      type: str
      sample: nightly
    flow_name:
      description: The flow the schedule belongs to.
      type: str
      sample: nightly-export
    id:
      description: The schedule id the service assigned.
      type: str
      sample: 3a1b9c0d-1234-5678-9abc-def012345678
    cron_expression:
      description: When the schedule fires.
      type: str
      sample: CRON_TZ=Asia/Shanghai 0 30 2 * * *
    payload:
      description: The payload, parsed when it is JSON; V(null) when there is none.
      type: raw
      sample: {"target": "oss://exports/nightly", "full": false}
    description:
      description: The description; V("") when it has none.
      type: str
    enabled:
      description: Whether the schedule fires.
      type: bool
      sample: true
    created_time:
      description: When the schedule was created (UTC, RFC 3339).
      type: str
    last_modified_time:
      description: When the schedule was last changed (UTC, RFC 3339).
      type: str
changes:
  description:
    - The names of the options whose values differ from the schedule's and were (in check mode, would be) sent, in the
      order V(cron_expression), V(payload), V(description), V(enabled).
    - For a new schedule, every option the create sends, V(enabled) included when it was omitted (V(true) is sent).
    - Empty when the schedule was deleted or left alone. The same name and meaning as RV(seed.cloudflow.cloudflow_flow#module:changes).
  returned: always
  type: list
  elements: str
  sample: [cron_expression, payload]
error:
  description:
    - The service's answer when the task failed on an API call (never a secret) - C(action), C(http_status), C(code),
      C(message) and C(request_id) (for support cases).
  returned: when the task failed on an error answer from the service
  type: dict
  sample: {action: CreateSchedule, http_status: 404, code: FlowNotExists, request_id: 5A1B9C0D-1234-5678-9ABC-DEF012345678}
"""

import json
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._cron import validate_schedule_expression
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import FLOW_NOT_EXISTS, SCHEDULE_ALREADY_EXISTS, ApiError, ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule, Manager, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_name, json_object_text
from ansible_collections.seed.cloudflow.plugins.module_utils._schedules import (
    RESULT_API_NAMES,
    create_schedule,
    delete_schedule,
    describe_schedule,
    parse_payload,
    schedule_result,
    update_schedule,
)

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

# The fields a diff shows, in this order; ids and times are the service's, not the play's.
DIFF_FIELDS = ("name", "flow_name", "cron_expression", "payload", "description", "enabled")
MANAGED_FIELDS = ("cron_expression", "payload", "description", "enabled")


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "flow_name": {"type": "str", "required": True},
        "name": {"type": "str", "required": True, "aliases": ["schedule_name"]},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "cron_expression": {"type": "str"},
        "payload": {"type": "raw"},
        "description": {"type": "str"},
        "enabled": {"type": "bool"},
    }


def desired_fields(params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The fields the task sets, checked and normalised; options not given are left out. No request is sent."""
    check_name("flow_name", params["flow_name"])
    check_name("name", params["name"])
    desired: dict[str, t.Any] = {}
    if params["cron_expression"] is not None:
        desired["cron_expression"] = validate_schedule_expression("cron_expression", params["cron_expression"])
    if params["payload"] is not None:
        if not isinstance(params["payload"], (dict, str)):
            raise ConfigurationError("payload", "must be a dict or a string holding a JSON object; got {0}".format(_kind(params["payload"])))
        desired["payload"] = json_object_text("payload", params["payload"])
    if params["description"] is not None:
        desired["description"] = params["description"]
    if params["enabled"] is not None:
        desired["enabled"] = params["enabled"]
    return desired


def _kind(value: t.Any) -> str:
    """A value's type in words: an int, a list."""
    name = type(value).__name__
    return "{0} {1}".format("an" if name[:1] in "aeiou" else "a", name)


def _same(field: str, wanted: t.Any, current: t.Mapping[str, t.Any]) -> bool:
    """Whether the desired value of a field equals the schedule's, as the service would mean it."""
    if field == "payload":
        return json.loads(wanted) == current["payload"]
    if field == "cron_expression":
        return wanted == " ".join((current["cron_expression"] or "").split())
    if field == "description":
        return wanted == (current["description"] or "")
    return wanted == current[field]


class ScheduleManager(Manager):
    """One schedule of a flow, present (with the fields the task sets) or absent."""

    def __init__(self, module: CloudFlowModule, client: CloudFlowClient) -> None:
        super().__init__(module, client)
        self.desired = desired_fields(self.params)
        self.flow_name: str = self.params["flow_name"]
        self.name: str = self.params["name"]

    def _label(self) -> str:
        return "schedule {0!r} of flow {1!r}".format(self.name, self.flow_name)

    def _planned(self, current: t.Optional[t.Mapping[str, t.Any]], changes: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The snake_case schedule once the changes are applied."""
        planned = dict(current) if current else {
            "name": self.name, "flow_name": self.flow_name, "id": None, "cron_expression": None, "payload": None,
            "description": "", "enabled": None, "created_time": None, "last_modified_time": None,
        }
        for field, value in changes.items():
            planned[field] = parse_payload(value) if field == "payload" else value
        return planned

    def _result(
        self, changed: bool, before: t.Optional[dict[str, t.Any]], after: t.Optional[dict[str, t.Any]], msg: str,
        changes: t.Sequence[str] = (),
    ) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {"changed": changed, "schedule": after, "changes": list(changes), "msg": msg}
        if self.diff_mode:
            result["diff"] = {
                "before": {field: before[field] for field in DIFF_FIELDS} if before else {},
                "after": {field: after[field] for field in DIFF_FIELDS} if after else {},
            }
        return result

    def _read(self) -> t.Optional[dict[str, t.Any]]:
        raw = describe_schedule(self.client, self.flow_name, self.name)
        return schedule_result(raw, self.flow_name) if raw is not None else None

    def _applied(self, planned: dict[str, t.Any], reply: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The planned schedule overlaid with what the service answered (ids, times, its own spelling of fields)."""
        answered = schedule_result(reply, self.flow_name)
        return dict(planned, **{field: value for field, value in answered.items() if reply.get(RESULT_API_NAMES.get(field, "")) is not None})

    def ensure_present(self) -> dict[str, t.Any]:
        try:
            current = self._read()
        except ApiError as error:
            if error.code != FLOW_NOT_EXISTS or not self.check_mode:
                raise
            # Check mode of a play that creates the flow first: that task only said it would. A real run fails here.
            self.module.warn("Flow {0!r} does not exist yet: in check mode the schedule is reported as one a real run would "
                             "create, which succeeds only if the flow exists by then".format(self.flow_name))
            current = None
        if current is None:
            return self._create()
        return self._update(current)

    def _create(self) -> dict[str, t.Any]:
        if "cron_expression" not in self.desired:
            raise ConfigurationError("cron_expression", "is required to create {0}, which does not exist".format(self._label()))
        # On create an omitted enabled means enabled; the service's own default is not documented, so say it.
        fields = dict(self.desired)
        fields.setdefault("enabled", True)
        planned = self._planned(None, fields)
        sent = [field for field in MANAGED_FIELDS if field in fields]
        if self.check_mode:
            return self._result(True, None, planned, "Would create {0}".format(self._label()), sent)
        try:
            others = {field: value for field, value in fields.items() if field != "cron_expression"}
            reply = create_schedule(self.client, self.flow_name, self.name, cron_expression=fields["cron_expression"], **others)
        except ApiError as error:
            if error.code != SCHEDULE_ALREADY_EXISTS:
                raise
            current = self._read()
            if current is None:
                raise
            if error.attempts > 1:
                # An earlier attempt created it and its reply was lost.
                return self._result(True, None, current, "Created {0}".format(self._label()), sent)
            # Created elsewhere between our read and our create: converge it like any existing schedule.
            return self._update(current)
        return self._result(True, None, self._applied(planned, reply), "Created {0}".format(self._label()), sent)

    def _update(self, current: dict[str, t.Any]) -> dict[str, t.Any]:
        updates = {field: value for field, value in self.desired.items() if not _same(field, value, current)}
        changes = [field for field in MANAGED_FIELDS if field in updates]
        if not changes:
            return self._result(False, current, current, "{0} is up to date".format(self._label().capitalize()))
        planned = self._planned(current, updates)
        if self.check_mode:
            return self._result(True, current, planned, "Would update {0} of {1}".format(", ".join(changes), self._label()), changes)
        reply = update_schedule(self.client, self.flow_name, self.name, **updates)
        return self._result(
            True, current, self._applied(planned, reply), "Updated {0} of {1}".format(", ".join(changes), self._label()), changes
        )

    def ensure_absent(self) -> dict[str, t.Any]:
        try:
            current = self._read()
        except ApiError as error:
            if error.code != FLOW_NOT_EXISTS:
                raise
            return self._result(False, None, None, "Flow {0!r} does not exist, nor does its schedule {1!r}".format(self.flow_name, self.name))
        if current is None:
            return self._result(False, None, None, "{0} does not exist".format(self._label().capitalize()))
        if self.check_mode:
            return self._result(True, current, None, "Would delete {0}".format(self._label()))
        deleted = delete_schedule(self.client, self.flow_name, self.name)
        if not deleted:
            return self._result(False, current, None, "{0} was deleted elsewhere in the meantime".format(self._label().capitalize()))
        return self._result(True, current, None, "Deleted {0}".format(self._label()))


def main() -> None:
    run_module(
        argument_spec(),
        lambda module, client: ScheduleManager(module, client).run(),
        check=desired_fields,
        subject=lambda params: "Schedule {0!r} of flow {1!r}".format(params["name"], params["flow_name"]),
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
