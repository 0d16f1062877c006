# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError
from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_flow_info
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

CONNECTION = {"endpoint": "http://127.0.0.1:9", "access_key_id": "LTAIunit", "access_key_secret": "unit-secret"}


@pytest.fixture(autouse=True)
def flows(service: FakeCloudFlow) -> None:
    service.page_size = 4
    for name in ("billing-a", "billing-b", "etl", "report-1", "report-2", "report-3", "zeta"):
        service.add_flow(name, environment={"OWNER": name})
    service.add_schedule("etl", "nightly")
    service.add_schedule("etl", "hourly")


def run(run_main: t.Callable[..., dict[str, t.Any]], **args: t.Any) -> dict[str, t.Any]:
    return run_main(cloudflow_flow_info.main, dict(CONNECTION, **args))


def test_one_flow_by_name(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    result = run(run_main, name="etl")
    assert result["changed"] is False
    assert [flow["name"] for flow in result["flows"]] == ["etl"]
    assert result["flows"][0]["environment"] == {"OWNER": "etl"} and result["flows"][0]["execution_mode"] == "Standard"
    assert "schedules" not in result["flows"][0]
    assert service.actions() == ["DescribeFlow"]


def test_a_missing_flow_is_an_empty_list(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    assert run(run_main, name="nope")["flows"] == []


def test_every_flow_across_pages(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    result = run(run_main, _ansible_check_mode=True)
    assert [flow["name"] for flow in result["flows"]] == sorted(service.flows)
    assert service.actions() == ["ListFlows", "ListFlows"]
    assert service.writes() == []


def test_name_prefix_filters_every_page(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    assert [flow["name"] for flow in run(run_main, name_prefix="report-")["flows"]] == ["report-1", "report-2", "report-3"]
    assert run(run_main, name_prefix="none-")["flows"] == []


def test_include_schedules_adds_each_flows_schedules(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    result = run(run_main, name_prefix="e", include_schedules=True)
    assert [schedule["name"] for schedule in result["flows"][0]["schedules"]] == ["nightly", "hourly"]
    assert result["flows"][0]["schedules"][0]["flow_name"] == "etl"
    assert run(run_main, name="zeta", include_schedules=True)["flows"][0]["schedules"] == []


def test_a_flow_deleted_between_listing_and_schedules_is_left_out(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.inject("ListSchedules", ApiError("ListSchedules", 404, "FlowNotExists", "gone", "req"))
    result = run(run_main, name_prefix="billing-", include_schedules=True)
    assert [flow["name"] for flow in result["flows"]] == ["billing-b"]


def test_name_and_prefix_together_fail_before_any_request(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    result = run(run_main, name="etl", name_prefix="e")
    assert result["failed"] is True and "name" in result["msg"] and "name_prefix" in result["msg"]
    assert service.calls == []
    bad = run(run_main, name="9etl")
    assert bad["failed"] is True and bad["msg"].startswith("name: ")


def test_service_errors_carry_the_request_id(service: FakeCloudFlow, run_main: t.Callable[..., dict[str, t.Any]]) -> None:
    service.inject("ListFlows", ApiError("ListFlows", 429, "ResourceThrottled", "The request is throttled.", "req-429", attempts=7))
    result = run(run_main)
    assert result["failed"] is True and "ResourceThrottled" in result["msg"] and "req-429" in result["msg"]
    assert result["error"]["request_id"] == "req-429"
