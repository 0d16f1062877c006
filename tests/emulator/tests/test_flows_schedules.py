# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Flows and schedules as shared/cloudflow-flows-schedules.md section 1 describes them:
parameters, errors, paging, the asynchronous DeleteFlow, firing and the schedule time scale."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Dict

import pytest

from conftest import wait_until
from helpers import Api

FLOW = {"Name": "f1", "Definition": "version: v1\ntype: flow\nsteps: []\n",
        "Description": "the flow", "Type": "FDL"}
ENV = {"Variables": [{"Name": "STAGE", "Value": "prod", "Description": "where"},
                     {"Name": "LIMIT", "Value": "10"}]}
SCHEDULE_FIELDS = {"RequestId", "ScheduleId", "ScheduleName", "CronExpression", "Payload",
                   "Description", "Enable", "CreatedTime", "LastModifiedTime"}


def create_flow(api: Api, **overrides: Any) -> Dict[str, Any]:
    return api.call("CreateFlow", dict(FLOW, **overrides))


def create_schedule(api: Api, name: str = "s1", **overrides: Any) -> Dict[str, Any]:
    params = {"FlowName": "f1", "ScheduleName": name, "CronExpression": "0 0 4 * * *"}
    params.update(overrides)
    return api.call("CreateSchedule", params)


# ------------------------------------------------------------------ flows -------------------

def test_create_flow_fields_environment_and_modes(api: Api) -> None:
    created = create_flow(api, Environment=json.dumps(ENV), RoleArn="acs:ram::1:role/r",
                          ExecutionMode="", ResourceGroupId="rg-1",
                          ExternalStorageLocation="/path")
    assert set(created) == {"RequestId", "Name", "Id", "Definition", "Description", "Type",
                            "RoleArn", "ExecutionMode", "CreatedTime", "LastModifiedTime",
                            "Environment", "ResourceGroupId"}
    assert created["ExecutionMode"] == "Standard"  # "" means Standard
    assert created["Environment"] == ENV  # an object in the reply, a JSON string in the request
    assert create_flow(api, Name="f2", ExecutionMode="Express")["ExecutionMode"] == "Express"
    plain = create_flow(api, Name="f3")
    assert "Environment" not in plain and plain["RoleArn"] == ""
    described = api.call("DescribeFlow", {"Name": "f1"})
    assert {k: v for k, v in described.items() if k != "RequestId"} == {
        k: v for k, v in created.items() if k != "RequestId"}


@pytest.mark.parametrize("params, code", [
    ({"Description": None}, "MissingRequiredParams"),
    ({"Definition": None}, "MissingRequiredParams"),
    ({"Type": None}, "MissingRequiredParams"),
    ({"Name": None}, "MissingRequiredParams"),
    ({"Type": "DEFAULT"}, "InvalidArgument"),
    ({"ExecutionMode": "standard"}, "InvalidArgument"),
    ({"Name": "1flow"}, "InvalidArgument"),
    ({"Name": "f" * 129}, "InvalidArgument"),
    ({"Name": "a.b"}, "InvalidArgument"),
    ({"Environment": "not json"}, "InvalidArgument"),
    ({"Environment": '{"Vars": []}'}, "InvalidArgument"),
    ({"Environment": '{"Variables": {}}'}, "InvalidArgument"),
    ({"Environment": '{"Variables": [{"Name": "A"}]}'}, "InvalidArgument"),
    ({"Environment": '{"Variables": [{"Name": "", "Value": "1"}]}'}, "InvalidArgument"),
    ({"Environment": '{"Variables": [{"Name": "A", "Value": 1}]}'}, "InvalidArgument"),
    ({"Environment": '{"Variables": [{"Name": "A", "Value": "1"}, {"Name": "A", "Value": "2"}]}'},
     "InvalidArgument"),
])
def test_create_flow_rejects(api: Api, params: Dict[str, Any], code: str) -> None:
    body = api.error("CreateFlow", dict(FLOW, **params), status=400, code=code)
    if code == "MissingRequiredParams":
        missing = [k for k, v in params.items() if v is None][0]
        assert missing in body["Message"]
    api.error("DescribeFlow", {"Name": "f1"}, status=404, code="FlowNotExists")


def test_create_flow_name_rules_and_conflict(api: Api) -> None:
    assert create_flow(api, Name="_" + "a" * 127)["Name"] == "_" + "a" * 127
    assert create_flow(api, Name="Flow-1_x")["Name"] == "Flow-1_x"
    create_flow(api)
    body = api.error("CreateFlow", FLOW, status=409, code="FlowAlreadyExists")
    assert "f1" in body["Message"]


def test_update_flow_is_partial(api: Api) -> None:
    created = create_flow(api, Environment=json.dumps(ENV), RoleArn="acs:ram::1:role/r",
                          ExecutionMode="Express")
    time.sleep(0.01)
    updated = api.call("UpdateFlow", {"Name": "f1", "Description": "new text"})
    assert updated["Description"] == "new text"
    assert updated["Definition"] == FLOW["Definition"] and updated["Environment"] == ENV
    assert updated["RoleArn"] == "acs:ram::1:role/r"
    assert "ExecutionMode" not in updated  # UpdateFlow's reply has no ExecutionMode
    assert updated["LastModifiedTime"] > created["LastModifiedTime"]
    assert updated["CreatedTime"] == created["CreatedTime"] and updated["Id"] == created["Id"]
    new_env = {"Variables": [{"Name": "STAGE", "Value": "test"}]}
    updated = api.call("UpdateFlow", {"Name": "f1", "Definition": "version: v1\ntype: flow\n",
                                      "Environment": json.dumps(new_env), "RoleArn": ""})
    assert updated["Environment"] == new_env and updated["RoleArn"] == ""
    described = api.call("DescribeFlow", {"Name": "f1"})
    assert described["Definition"] == "version: v1\ntype: flow\n"
    assert described["Description"] == "new text" and described["ExecutionMode"] == "Express"
    # ExecutionMode is not an UpdateFlow parameter: it is ignored
    api.call("UpdateFlow", {"Name": "f1", "ExecutionMode": "Standard"})
    assert api.call("DescribeFlow", {"Name": "f1"})["ExecutionMode"] == "Express"
    api.error("UpdateFlow", {"Name": "f1", "Type": "YAML"}, status=400, code="InvalidArgument")
    api.error("UpdateFlow", {"Name": "f1", "Definition": ""}, status=400,
              code="InvalidArgument")
    api.error("UpdateFlow", {"Name": "f1", "Environment": "[]"}, status=400,
              code="InvalidArgument")
    api.error("UpdateFlow", {"Name": "nope"}, status=404, code="FlowNotExists")
    api.error("UpdateFlow", {}, status=400, code="MissingRequiredParams")


def test_update_flow_reply_has_external_storage_location(api: Api) -> None:
    create_flow(api, ExternalStorageLocation="/path")
    assert api.call("UpdateFlow", {"Name": "f1"})["ExternalStorageLocation"] == "/path"
    assert "ExternalStorageLocation" not in api.call("DescribeFlow", {"Name": "f1"})


def test_list_flows_paging_and_limits(api: Api, control) -> None:  # type: ignore
    control.configure(quotas_enabled=False)
    for name in ("e", "c", "a", "d", "b"):
        control.create_flow("flow_" + name)
    names, token, pages = [], None, 0
    while True:
        page = api.call("ListFlows", {"Limit": 2, "NextToken": token})
        names.extend(f["Name"] for f in page["Flows"])
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
        assert token == "flow_" + "abcde"[len(names)]  # the name the next page starts with
    assert names == ["flow_a", "flow_b", "flow_c", "flow_d", "flow_e"] and pages == 3
    for limit in (0, 1001, -1, "x"):
        api.error("ListFlows", {"Limit": limit}, status=400, code="InvalidArgument")
    assert len(api.call("ListFlows", {"Limit": 1000})["Flows"]) == 5
    api.error("ListFlows", {"NextToken": "unknown"}, status=400, code="InvalidArgument")
    for index in range(60):
        control.create_flow("more_%02d" % index)
    default = api.call("ListFlows")
    assert len(default["Flows"]) == 60 and default["NextToken"] == "more_55"


def test_delete_flow_is_asynchronous(api: Api, control) -> None:  # type: ignore
    control.configure(delete_delay_seconds=0.6)
    create_flow(api)
    create_schedule(api)
    control.seed_execution("f1", "e1", status="Running")
    t0 = time.monotonic()
    assert set(api.call("DeleteFlow", {"Name": "f1"})) == {"RequestId"}
    # pending: still described, listed, with its schedules and executions
    assert api.call("DescribeFlow", {"Name": "f1"})["Name"] == "f1"
    assert [f["Name"] for f in api.call("ListFlows")["Flows"]] == ["f1"]
    assert len(api.call("ListSchedules", {"FlowName": "f1"})["Schedules"]) == 1
    api.call("DeleteFlow", {"Name": "f1"})  # again while pending: success, first time kept
    api.error("CreateFlow", FLOW, status=409, code="FlowAlreadyExists")
    assert control.flows()[0]["deleting"] is True
    assert wait_until(lambda: api.request("DescribeFlow", {"Name": "f1"}).status_code == 404,
                      timeout=3)
    assert time.monotonic() - t0 >= 0.55
    api.error("ListSchedules", {"FlowName": "f1"}, status=404, code="FlowNotExists")
    api.error("DescribeExecution", {"FlowName": "f1", "ExecutionName": "e1"}, status=404,
              code="FlowNotExists")
    api.error("DeleteFlow", {"Name": "f1"}, status=404, code="FlowNotExists")
    assert api.call("ListFlows")["Flows"] == []
    # a new flow of the same name starts empty: no schedules, no executions
    create_flow(api)
    assert api.call("ListSchedules", {"FlowName": "f1"})["Schedules"] == []
    assert api.call("ListExecutions", {"FlowName": "f1"})["Executions"] == []


def test_delete_flow_wakes_long_polls(api: Api, control, emulator_url) -> None:  # type: ignore
    import httpx

    control.configure(delete_delay_seconds=0.5)
    control.seed_execution("f1", "e1", status="Running")
    result: Dict[str, Any] = {}

    def poll() -> None:
        with httpx.Client(base_url=emulator_url) as other:
            result["resp"] = Api(other).request(
                "DescribeExecution", {"FlowName": "f1", "ExecutionName": "e1",
                                      "WaitTimeSeconds": 20}, timeout=30)

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    api.call("DeleteFlow", {"Name": "f1"})
    thread.join(10)
    assert 0.3 <= time.monotonic() - t0 < 3
    assert result["resp"].status_code == 404
    assert result["resp"].json()["Code"] == "FlowNotExists"


def test_deleted_flow_stops_its_in_progress_executions() -> None:
    from cloudflow_emulator.state import Store

    store = Store()
    flow = store.create_flow("f1")
    running = store.start_execution(flow, "run", None, status="Running")
    done = store.start_execution(flow, "done", None, status="Succeeded")
    flow.delete_at = time.monotonic() - 1
    store.complete_deletions()
    assert "f1" not in store.flows
    assert running.status == "Stopped" and done.status == "Succeeded"


# ------------------------------------------------------------------ schedules ---------------

def test_create_schedule_fields(api: Api) -> None:
    create_flow(api)
    created = create_schedule(api, Payload='{"k": "v"}', Description="nightly")
    assert set(created) == SCHEDULE_FIELDS  # no FlowName in any schedule reply
    assert created["ScheduleName"] == "s1" and created["CronExpression"] == "0 0 4 * * *"
    assert created["Enable"] is True  # omitted: enabled
    assert created["Payload"] == '{"k": "v"}' and created["Description"] == "nightly"
    described = api.call("DescribeSchedule", {"FlowName": "f1", "ScheduleName": "s1"})
    assert {k: v for k, v in described.items() if k != "RequestId"} == {
        k: v for k, v in created.items() if k != "RequestId"}
    bare = create_schedule(api, "s2")
    assert "Payload" not in bare and bare["Description"] == ""


@pytest.mark.parametrize("wire, expected", [("True", True), ("False", False),
                                            ("true", True), ("false", False)])
def test_enable_as_the_sdks_send_it(api: Api, wire: str, expected: bool) -> None:
    create_flow(api)
    assert create_schedule(api, Enable=wire)["Enable"] is expected


@pytest.mark.parametrize("wire", ["TRUE", "1", "0", "yes", ""])
def test_enable_rejects_other_spellings(api: Api, wire: str) -> None:
    create_flow(api)
    api.error("CreateSchedule", {"FlowName": "f1", "ScheduleName": "s1",
                                 "CronExpression": "@every 5m", "Enable": wire},
              status=400, code="InvalidArgument")


VALID_CRON = ["0 * * * * *", "0 0 4 * * *", "0 30 4 ? * MON-FRI", "0 0 12 * * *",
              "CRON_TZ=Asia/Shanghai 0 0 12 * * *", "@every 1m", "@every 90m",
              "0 */15 * * * *", "0 0 0 1,15 * ?", "0 0 8 ? JAN-MAR,dec sun", "59 59 23 31 12 6",
              "0 5-10/2 1-5 * * *"]
INVALID_CRON = ["* * * * * *", "*/5 * * * * *", "0,30 * * * * *", "0 * * * *",
                "0 * * * * * *", "@every 0m", "@every 30s", "@every 1h", "@every m", "@hourly",
                "0 60 * * * *", "0 0 24 * * *", "0 0 0 0 * *", "0 0 0 32 * *", "0 0 0 * 13 *",
                "0 0 0 * * 7", "0 ? * * * *", "0 0 ? * * *", "0 0 0 * ? *", "0 0 0 ?,1 * *",
                "0 10-5 * * * *", "0 */0 * * * *", "CRON_TZ=Nowhere/City 0 * * * * *",
                "CRON_TZ= 0 * * * * *", "CRON_TZ=UTC @every 5m", "0 0 0 * FOO *", "60 * * * * *",
                "0 L * * * *", "0 0 0 15W * *", "0 0 0 ? * 1#2", "", " "]


@pytest.mark.parametrize("expression", VALID_CRON)
def test_cron_accepted(api: Api, expression: str) -> None:
    create_flow(api)
    assert create_schedule(api, CronExpression=expression)["CronExpression"] == expression


@pytest.mark.parametrize("expression", INVALID_CRON)
def test_cron_rejected(api: Api, expression: str) -> None:
    create_flow(api)
    code = "MissingRequiredParams" if expression == "" else "InvalidArgument"
    api.error("CreateSchedule", {"FlowName": "f1", "ScheduleName": "s1",
                                 "CronExpression": expression}, status=400, code=code)
    api.error("DescribeSchedule", {"FlowName": "f1", "ScheduleName": "s1"}, status=404,
              code="ScheduleNotExists")


def test_create_schedule_errors(api: Api) -> None:
    base = {"FlowName": "f1", "ScheduleName": "s1", "CronExpression": "@every 5m"}
    for missing in base:
        params = {k: v for k, v in base.items() if k != missing}
        body = api.error("CreateSchedule", params, status=400, code="MissingRequiredParams")
        assert missing in body["Message"]
    api.error("CreateSchedule", base, status=404, code="FlowNotExists")
    create_flow(api)
    api.error("CreateSchedule", dict(base, ScheduleName="9s"), status=400,
              code="InvalidArgument")
    for payload in ("[1]", "not json", '"text"'):
        api.error("CreateSchedule", dict(base, Payload=payload), status=400,
                  code="InvalidArgument")
    api.call("CreateSchedule", base)
    body = api.error("CreateSchedule", base, status=409, code="ScheduleAlreadyExists")
    assert body["Message"] == "The schedule s1 already exists in flow f1."


def test_update_schedule_is_partial(api: Api) -> None:
    create_flow(api)
    created = create_schedule(api, Payload='{"a": 1}', Description="d")
    time.sleep(0.01)
    updated = api.call("UpdateSchedule", {"FlowName": "f1", "ScheduleName": "s1",
                                          "Enable": "False"})
    assert set(updated) == SCHEDULE_FIELDS
    assert updated["Enable"] is False and updated["CronExpression"] == "0 0 4 * * *"
    assert updated["Payload"] == '{"a": 1}' and updated["Description"] == "d"
    assert updated["ScheduleId"] == created["ScheduleId"]
    assert updated["CreatedTime"] == created["CreatedTime"]
    assert updated["LastModifiedTime"] > created["LastModifiedTime"]
    updated = api.call("UpdateSchedule", {"FlowName": "f1", "ScheduleName": "s1",
                                          "CronExpression": "@every 10m", "Description": ""})
    assert updated["CronExpression"] == "@every 10m" and updated["Description"] == ""
    assert updated["Enable"] is False
    updated = api.call("UpdateSchedule", {"FlowName": "f1", "ScheduleName": "s1",
                                          "Payload": ""})
    assert "Payload" not in updated
    described = api.call("DescribeSchedule", {"FlowName": "f1", "ScheduleName": "s1"})
    assert described["CronExpression"] == "@every 10m" and described["Enable"] is False
    for bad in ({"CronExpression": "* * * * * *"}, {"CronExpression": ""}, {"Enable": "on"},
                {"Payload": "[]"}):
        api.error("UpdateSchedule", dict({"FlowName": "f1", "ScheduleName": "s1"}, **bad),
                  status=400, code="InvalidArgument")
    api.error("UpdateSchedule", {"FlowName": "f1", "ScheduleName": "nope"}, status=404,
              code="ScheduleNotExists")
    api.error("UpdateSchedule", {"FlowName": "nope", "ScheduleName": "s1"}, status=404,
              code="FlowNotExists")
    api.error("UpdateSchedule", {"FlowName": "f1"}, status=400, code="MissingRequiredParams")


def test_describe_and_delete_schedule(api: Api) -> None:
    api.error("DescribeSchedule", {"FlowName": "f1", "ScheduleName": "s1"}, status=404,
              code="FlowNotExists")
    create_flow(api)
    body = api.error("DescribeSchedule", {"FlowName": "f1", "ScheduleName": "s1"}, status=404,
                     code="ScheduleNotExists")
    assert body["Message"] == "The schedule s1 for flow f1 does not exist."
    create_schedule(api)
    assert set(api.call("DeleteSchedule", {"FlowName": "f1", "ScheduleName": "s1"})) == {
        "RequestId"}
    api.error("DeleteSchedule", {"FlowName": "f1", "ScheduleName": "s1"}, status=404,
              code="ScheduleNotExists")
    api.error("DeleteSchedule", {"FlowName": "f2", "ScheduleName": "s1"}, status=404,
              code="FlowNotExists")
    api.error("DescribeSchedule", {"FlowName": "f1"}, status=400, code="MissingRequiredParams")


def test_list_schedules_paging_and_limits(api: Api, control) -> None:  # type: ignore
    control.configure(quotas_enabled=False)
    create_flow(api)
    for name in ("s5", "s3", "s1", "s4", "s2"):
        create_schedule(api, name)
    names, token = [], None
    while True:
        page = api.call("ListSchedules", {"FlowName": "f1", "Limit": 2, "NextToken": token})
        # no Payload was given, so none is reported
        assert all(set(s) == SCHEDULE_FIELDS - {"RequestId", "Payload"}
                   for s in page["Schedules"])
        names.extend(s["ScheduleName"] for s in page["Schedules"])
        token = page.get("NextToken")
        if not token:
            break
    assert names == ["s1", "s2", "s3", "s4", "s5"]
    default = api.call("ListSchedules", {"FlowName": "f1"})
    assert len(default["Schedules"]) == 5 and "NextToken" not in default
    # the docs: the first query may pass the FlowName as NextToken
    assert len(api.call("ListSchedules", {"FlowName": "f1", "NextToken": "f1"})["Schedules"]) == 5
    for limit in (0, 1001):
        api.error("ListSchedules", {"FlowName": "f1", "Limit": limit}, status=400,
                  code="InvalidArgument")
    assert len(api.call("ListSchedules", {"FlowName": "f1", "Limit": 1000})["Schedules"]) == 5
    api.error("ListSchedules", {"FlowName": "f1", "NextToken": "zz"}, status=400,
              code="InvalidArgument")
    api.error("ListSchedules", {"FlowName": "f2"}, status=404, code="FlowNotExists")
    api.error("ListSchedules", {}, status=400, code="MissingRequiredParams")
    for index in range(61):
        control.create_schedule("f1", "t%02d" % index, "@every 5m")
    page = api.call("ListSchedules", {"FlowName": "f1"})
    assert len(page["Schedules"]) == 60 and page["NextToken"] == "t55"


# ------------------------------------------------------------------ log, quotas, faults -----

def test_request_log_schedule_name_and_write_count(api: Api, control) -> None:  # type: ignore
    create_flow(api)
    create_schedule(api)
    api.call("UpdateSchedule", {"FlowName": "f1", "ScheduleName": "s1", "Enable": "false"})
    api.call("DescribeSchedule", {"FlowName": "f1", "ScheduleName": "s1"})
    api.call("ListSchedules", {"FlowName": "f1"})
    api.error("CreateSchedule", {"FlowName": "f1", "ScheduleName": "s1",
                                 "CronExpression": "@every 5m"}, status=409,
              code="ScheduleAlreadyExists")
    api.call("DeleteSchedule", {"FlowName": "f1", "ScheduleName": "s1"})
    api.call("UpdateFlow", {"Name": "f1"})
    api.call("DeleteFlow", {"Name": "f1"})
    log = control.requests()
    rows = [(r["action"], r["flow_name"], r["schedule_name"]) for r in log["requests"]]
    assert rows == [("CreateFlow", "f1", None), ("CreateSchedule", "f1", "s1"),
                    ("UpdateSchedule", "f1", "s1"), ("DescribeSchedule", "f1", "s1"),
                    ("ListSchedules", "f1", None), ("CreateSchedule", "f1", "s1"),
                    ("DeleteSchedule", "f1", "s1"), ("UpdateFlow", "f1", None),
                    ("DeleteFlow", "f1", None)]
    assert log["write_count"] == 7  # every non-read action, the refused one included


@pytest.mark.parametrize("action, params", [
    ("ListSchedules", {"FlowName": "f1"}),
    ("DescribeSchedule", {"FlowName": "f1", "ScheduleName": "s1"}),
    ("ListFlows", {}),
])
def test_other_operations_bucket(api: Api, control, action: str,  # type: ignore
                                 params: Dict[str, str]) -> None:
    control.create_flow("f1")
    control.create_schedule("f1", "s1", "@every 5m")
    results = [api.request(action, params).status_code for _attempt in range(12)]
    assert results[:10] == [200] * 10 and 429 in results[10:]


def test_fault_409_on_updates_and_deletes(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    control.create_schedule("f1", "s1", "@every 5m")
    control.configure(quotas_enabled=False, faults={"error_409_rate": 1.0})
    sched = {"FlowName": "f1", "ScheduleName": "s1"}
    for action, params in (("UpdateFlow", {"Name": "f1", "Description": "x"}),
                           ("DeleteFlow", {"Name": "f1"}),
                           ("CreateSchedule", dict(sched, ScheduleName="s2",
                                                   CronExpression="@every 5m")),
                           ("UpdateSchedule", dict(sched, Enable="false")),
                           ("DeleteSchedule", sched)):
        api.error(action, params, status=409, code="ConcurrentUpdateError")
    # reads are never conflicts, and nothing changed
    assert api.call("DescribeSchedule", sched)["Enable"] is True
    assert api.call("DescribeFlow", {"Name": "f1"})["Description"] == ""
    assert len(api.call("ListSchedules", {"FlowName": "f1"})["Schedules"]) == 1
    # the actions filter still narrows the faults down
    control.configure(faults={"actions": ["UpdateSchedule"]})
    api.call("UpdateFlow", {"Name": "f1", "Description": "x"})
    api.error("UpdateSchedule", dict(sched, Enable="false"), status=409,
              code="ConcurrentUpdateError")


# ------------------------------------------------------------------ firing ------------------

def test_fire_schedules(api: Api, control) -> None:  # type: ignore
    create_flow(api)
    create_flow(api, Name="f2")
    create_schedule(api, "nightly", Payload='{"date": "today"}')
    create_schedule(api, "paused", Enable="false")
    create_schedule(api, "other", FlowName="f2")
    control.clear_requests()
    result = control.fire_schedules()
    assert result == {
        "fired": [{"flow_name": "f1", "schedule_name": "nightly",
                   "execution_name": "schedule-nightly-1"},
                  {"flow_name": "f2", "schedule_name": "other",
                   "execution_name": "schedule-other-1"}],
        "skipped": [{"flow_name": "f1", "schedule_name": "paused", "reason": "disabled"}]}
    execution = api.call("DescribeExecution", {"FlowName": "f1",
                                               "ExecutionName": "schedule-nightly-1"})
    assert execution["Input"] == '{"date": "today"}' and execution["Status"] == "Running"
    assert "Input" not in api.call("DescribeExecution", {"FlowName": "f2",
                                                         "ExecutionName": "schedule-other-1"})
    # one flow only; a second firing numbers on
    again = control.fire_schedules("f1")
    assert [f["execution_name"] for f in again["fired"]] == ["schedule-nightly-2"]
    # firing is not an API request
    log = control.requests()
    assert [r["action"] for r in log["requests"]] == ["DescribeExecution", "DescribeExecution"]
    assert log["write_count"] == 0
    with pytest.raises(Exception) as info:
        control.fire_schedules("nope")
    assert getattr(info.value, "status", None) == 404


def test_fired_executions_follow_the_flow_lifecycle(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1", run_seconds=0.2)
    control.create_schedule("f1", "s1", "@every 5m", payload={"n": 1})
    name = control.fire_schedules()["fired"][0]["execution_name"]
    final = api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": name,
                                           "WaitTimeSeconds": 5})
    assert final["Status"] == "Succeeded" and json.loads(final["Output"]) == {"n": 1}


def test_control_schedules_seed_and_list(control) -> None:  # type: ignore
    seeded = control.create_schedule("fx", "s1", "0 0 4 * * *", payload={"a": 1},
                                     description="d", enable=False)
    assert seeded["flow_name"] == "fx" and seeded["Enable"] is False
    assert seeded["Payload"] == '{"a":1}'
    assert [s["ScheduleName"] for s in control.schedules("fx")] == ["s1"]
    assert control.flows()[0]["schedule_count"] == 1
    with pytest.raises(Exception):
        control.create_schedule("fx", "s2", "* * * * * *")
    with pytest.raises(Exception):
        control.create_schedule("fx", "s1", "@every 5m")


def test_time_scale_fires_schedules_on_their_own(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    control.create_schedule("f1", "every", "@every 1m", payload={"k": 1})
    control.create_schedule("f1", "cron", "0 * * * * *")
    control.create_schedule("f1", "off", "@every 1m", enable=False)
    control.create_schedule("f1", "daily", "0 0 4 * * *")
    time.sleep(0.3)
    assert control.executions("f1") == []  # scale 0 (default): nothing fires by itself
    control.configure(schedule_time_scale=600)  # a minute every 0.1 s
    assert wait_until(lambda: len([e for e in control.executions("f1")
                                   if e["Name"].startswith("schedule-every-")]) >= 5, timeout=5)
    control.configure(schedule_time_scale=0)
    names = [e["Name"] for e in control.executions("f1")]
    assert "schedule-every-1" in names and "schedule-cron-1" in names
    assert not any(n.startswith("schedule-off-") for n in names)
    count = len(names)
    time.sleep(0.3)
    assert len(control.executions("f1")) == count  # stopped again
    first = api.call("DescribeExecution", {"FlowName": "f1", "ExecutionName": "schedule-every-1"})
    assert first["Input"] == '{"k":1}'
    assert control.requests()["total"] == 1  # only the DescribeExecution above


def test_time_scale_respects_enable(api: Api, control) -> None:  # type: ignore
    control.create_flow("f1")
    control.create_schedule("f1", "s1", "@every 1m", enable=False)
    control.configure(schedule_time_scale=1200, quotas_enabled=False)
    time.sleep(0.3)
    assert control.executions("f1") == []
    api.call("UpdateSchedule", {"FlowName": "f1", "ScheduleName": "s1", "Enable": "true"})
    assert wait_until(lambda: len(control.executions("f1")) >= 2, timeout=5)
    api.call("UpdateSchedule", {"FlowName": "f1", "ScheduleName": "s1", "Enable": "false"})
    time.sleep(0.1)
    count = len(control.executions("f1"))
    time.sleep(0.3)
    assert len(control.executions("f1")) == count


def test_time_scale_setting_is_validated(control) -> None:  # type: ignore
    with pytest.raises(Exception):
        control.configure(schedule_time_scale=-1)
    with pytest.raises(Exception):
        control.configure(delete_delay_seconds=-1)
    assert control.config()["schedule_time_scale"] == 0
    assert control.config()["delete_delay_seconds"] == 0.5
