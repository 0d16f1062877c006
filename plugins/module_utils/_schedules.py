# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""CloudFlow schedule operations and the snake_case shape modules return.

Schedule answers carry no FlowName (reference 1.3), so the flow name is always passed in.
"""

from __future__ import annotations

import json
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._client import iterate_pages
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import FLOW_NOT_EXISTS, SCHEDULE_NOT_EXISTS, ApiError

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

# ListSchedules takes Limit 1-1000 (reference 1.3).
LIST_PAGE_SIZE = 1000

# Module field -> API parameter, for CreateSchedule and UpdateSchedule.
API_FIELDS = {
    "cron_expression": "CronExpression",
    "payload": "Payload",
    "description": "Description",
    "enabled": "Enable",
}


# Result field -> the service's field in schedule records.
RESULT_API_NAMES = {
    "name": "ScheduleName",
    "id": "ScheduleId",
    "cron_expression": "CronExpression",
    "payload": "Payload",
    "description": "Description",
    "enabled": "Enable",
    "created_time": "CreatedTime",
    "last_modified_time": "LastModifiedTime",
}


def parse_payload(value: t.Any) -> t.Any:
    """A payload as a JSON value: the service keeps it as text; text that is not JSON is kept as it is."""
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def payload_text(value: t.Any) -> t.Optional[str]:
    """The Payload parameter: JSON text is sent as given, any other value is serialised compactly."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _enabled(value: t.Any) -> t.Optional[bool]:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return None if value is None else bool(value)


def schedule_result(raw: t.Mapping[str, t.Any], flow_name: str) -> dict[str, t.Any]:
    """Turn a service schedule record into the snake_case shape every module returns."""
    return {
        "name": raw.get("ScheduleName"),
        "flow_name": flow_name,
        "id": raw.get("ScheduleId"),
        "cron_expression": raw.get("CronExpression"),
        "payload": parse_payload(raw.get("Payload")),
        "description": raw.get("Description") or "",
        "enabled": _enabled(raw.get("Enable")),
        "created_time": raw.get("CreatedTime") or None,
        "last_modified_time": raw.get("LastModifiedTime") or None,
    }


def describe_schedule(client: CloudFlowClient, flow_name: str, name: str) -> t.Optional[dict[str, t.Any]]:
    """The schedule record, or None when the flow has no schedule of that name. FlowNotExists is raised."""
    try:
        return client.call("DescribeSchedule", {"FlowName": flow_name, "ScheduleName": name})
    except ApiError as error:
        if error.code == SCHEDULE_NOT_EXISTS:
            return None
        raise


def list_schedules(client: CloudFlowClient, flow_name: str, page_size: int = LIST_PAGE_SIZE) -> t.Iterator[dict[str, t.Any]]:
    """Every schedule of a flow, across pages (iterate_pages stops on a token that does not advance). FlowNotExists is raised."""
    return iterate_pages(client, "ListSchedules", {"FlowName": flow_name}, "Schedules", page_size)


def _change_params(changes: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    unknown = sorted(set(changes) - set(API_FIELDS))
    if unknown:
        raise TypeError("unknown schedule fields: {0}".format(", ".join(unknown)))
    params = {API_FIELDS[field]: value for field, value in changes.items()}
    if "Payload" in params:
        params["Payload"] = payload_text(params["Payload"])
    if params.get("Enable") is not None:
        params["Enable"] = bool(params["Enable"])
    return params


def create_schedule(
    client: CloudFlowClient,
    flow_name: str,
    name: str,
    *,
    cron_expression: str,
    payload: t.Any = None,
    description: t.Optional[str] = None,
    enabled: t.Optional[bool] = None,
) -> dict[str, t.Any]:
    """Create a schedule; returns the service's answer. None values are not sent.

    The service's default for an omitted Enable is not documented (reference UNCERTAIN 9): callers that mean
    'enabled' say so.
    """
    params = {"FlowName": flow_name, "ScheduleName": name}
    params.update(_change_params({
        "cron_expression": cron_expression, "payload": payload, "description": description, "enabled": enabled,
    }))
    return client.call("CreateSchedule", params)


def update_schedule(client: CloudFlowClient, flow_name: str, name: str, **changes: t.Any) -> dict[str, t.Any]:
    """Send only the given fields (cron_expression, payload, description, enabled) to UpdateSchedule.

    The service treats it as a partial update (reference 1.3); returns the service's answer.
    """
    params = {"FlowName": flow_name, "ScheduleName": name}
    params.update(_change_params(changes))
    return client.call("UpdateSchedule", params)


def delete_schedule(client: CloudFlowClient, flow_name: str, name: str) -> bool:
    """Delete a schedule; False when it was already gone, with its flow or on its own.

    When that answer came on a retry, the earlier attempt most likely deleted it with its reply lost: True.
    """
    try:
        client.call("DeleteSchedule", {"FlowName": flow_name, "ScheduleName": name})
    except ApiError as error:
        if error.code in (SCHEDULE_NOT_EXISTS, FLOW_NOT_EXISTS):
            return error.attempts > 1
        raise
    return True
