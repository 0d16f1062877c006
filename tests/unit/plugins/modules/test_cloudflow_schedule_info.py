# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_schedule_info
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"


@pytest.fixture(autouse=True)
def flows(service: FakeCloudFlow) -> None:
    service.page_size = 3
    service.add_flow(FLOW)
    service.add_flow("empty")


@pytest.mark.parametrize("given, option", [({"flow_name": "1flow"}, "flow_name"), ({"name": "a b"}, "name"), ({"name": ""}, "name")])
def test_bad_names_fail_before_any_request(run_main, service, given: dict[str, t.Any], option: str) -> None:
    result = run_main(cloudflow_schedule_info.main, dict({"flow_name": FLOW}, **given))
    assert result["failed"] and option in result["msg"]
    assert service.calls == []


def test_every_schedule_across_pages(run_main, service) -> None:
    for index in range(8):
        service.add_schedule(FLOW, "s{0}".format(index), payload='{"i": %d}' % index, enabled=index % 2 == 0)
    result = run_main(cloudflow_schedule_info.main, {"flow_name": FLOW})
    assert result["changed"] is False
    assert [schedule["name"] for schedule in result["schedules"]] == ["s{0}".format(index) for index in range(8)]
    assert [schedule["payload"]["i"] for schedule in result["schedules"]] == list(range(8))
    assert [schedule["enabled"] for schedule in result["schedules"]] == [index % 2 == 0 for index in range(8)]
    assert all(schedule["flow_name"] == FLOW for schedule in result["schedules"])
    assert service.actions() == ["ListSchedules"] * 3
    assert [params.get("NextToken") for params in service.sent("ListSchedules")] == [None, "s3", "s6"]
    assert all(params["Limit"] == 1000 for params in service.sent("ListSchedules"))


def test_a_flow_without_schedules_gives_an_empty_list(run_main, service) -> None:
    result = run_main(cloudflow_schedule_info.main, {"flow_name": "empty"})
    assert result["schedules"] == [] and not result.get("failed")


def test_one_by_name_and_a_missing_one(run_main, service) -> None:
    service.add_schedule(FLOW, "nightly", cron="@every 5m", description="d")
    found = run_main(cloudflow_schedule_info.main, {"flow_name": FLOW, "schedule_name": "nightly"})
    assert [(schedule["name"], schedule["cron_expression"], schedule["description"]) for schedule in found["schedules"]] == [
        ("nightly", "@every 5m", "d")]
    missing = run_main(cloudflow_schedule_info.main, {"flow_name": FLOW, "name": "other"})
    assert missing["schedules"] == [] and not missing.get("failed")
    assert service.actions() == ["DescribeSchedule", "DescribeSchedule"]


@pytest.mark.parametrize("args", [{"flow_name": "gone"}, {"flow_name": "gone", "name": "nightly"}])
def test_a_missing_flow_fails_with_the_structured_error(run_main, service, args: dict[str, t.Any]) -> None:
    result = run_main(cloudflow_schedule_info.main, args)
    assert result["failed"]
    assert result["error"]["code"] == "FlowNotExists"
    assert "'gone'" in result["msg"]


def test_in_check_mode_a_missing_flow_still_fails(run_main, service) -> None:
    # An info module has no "would": check mode reads as a real run does, and a flow that is not there is an error.
    result = run_main(cloudflow_schedule_info.main, {"flow_name": "gone", "_ansible_check_mode": True})
    assert result["failed"] and result["error"]["code"] == "FlowNotExists"
    assert result["msg"].startswith("Flow 'gone': ")
