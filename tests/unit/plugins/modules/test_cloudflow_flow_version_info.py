# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_flow_version_info
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"


@pytest.fixture(autouse=True)
def flow(service: FakeCloudFlow) -> None:
    service.add_flow(FLOW, description="first", environment={"A": "1"})


def run(run_main: t.Callable[..., dict[str, t.Any]], **args: t.Any) -> dict[str, t.Any]:
    return run_main(cloudflow_flow_version_info.main, dict({"flow_name": FLOW}, **args))


@pytest.mark.parametrize("given, option", [
    ({"flow_name": "a b"}, "flow_name"),
    ({"version": "v1"}, "version"),
    ({"version": 0}, "version"),
    ({"include_definition": "perhaps"}, "include_definition"),
])
def test_bad_input_fails_naming_the_option_before_any_request(run_main, service, given: dict[str, t.Any], option: str) -> None:
    result = run(run_main, **given)
    assert result["failed"] and option in result["msg"]
    assert service.calls == []


def test_lists_every_version_oldest_first_across_pages(run_main, service) -> None:
    service.page_size = 2
    for number in range(1, 6):
        service.publish(FLOW, description="release {0}".format(number))
    result = run(run_main, _ansible_check_mode=True)
    assert result["changed"] is False
    assert [entry["version"] for entry in result["versions"]] == ["1", "2", "3", "4", "5"]
    assert result["versions"][0] == {"flow_name": FLOW, "version": "1", "description": "release 1", "created_time": result["versions"][0]["created_time"]}
    assert service.actions() == ["ListFlowVersions"] * 3


def test_one_version_with_what_it_holds(run_main, service) -> None:
    service.publish(FLOW)
    service.record(FLOW)["Description"] = "second"
    service.publish(FLOW)
    result = run(run_main, version=1, include_definition=True)
    assert len(result["versions"]) == 1
    entry = result["versions"][0]
    assert entry["version"] == "1" and entry["flow_description"] == "first" and entry["environment"] == {"A": "1"}
    assert entry["role_arn"] is None and entry["definition"] == service.record(FLOW)["Definition"]
    assert service.sent("DescribeFlow") == [{"Name": FLOW, "FlowVersion": "1"}]
    assert run(run_main, version="7")["versions"] == []


def test_a_version_deleted_between_the_listing_and_its_description_is_left_out(run_main, service) -> None:
    service.publish(FLOW)
    service.publish(FLOW)
    service.meanwhile("DescribeFlow", lambda: service.flows[FLOW]["versions"].pop("1"))
    result = run(run_main, include_definition=True)
    assert [entry["version"] for entry in result["versions"]] == ["2"]


def test_a_missing_flow_fails_with_the_service_answer(run_main, service) -> None:
    result = run(run_main, flow_name="nope")
    assert result["failed"] and result["error"]["code"] == "FlowNotExists" and "Flow 'nope'" in result["msg"]
