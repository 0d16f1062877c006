# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_flow_alias_info
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"


@pytest.fixture(autouse=True)
def flow(service: FakeCloudFlow) -> None:
    service.add_flow(FLOW)
    service.publish(FLOW)
    service.publish(FLOW)


def run(run_main: t.Callable[..., dict[str, t.Any]], **args: t.Any) -> dict[str, t.Any]:
    return run_main(cloudflow_flow_alias_info.main, dict({"flow_name": FLOW}, **args))


@pytest.mark.parametrize("given, option", [({"flow_name": "a b"}, "flow_name"), ({"name": "1x"}, "name")])
def test_bad_input_fails_naming_the_option_before_any_request(run_main, service, given: dict[str, t.Any], option: str) -> None:
    result = run(run_main, **given)
    assert result["failed"] and option in result["msg"]
    assert service.calls == []


def test_lists_every_alias_in_name_order_with_integer_weights(run_main, service) -> None:
    service.page_size = 2
    service.add_alias(FLOW, "prod", {"2": 10, "1": 90}, description="production")
    for name in ("a", "b", "c"):
        service.add_alias(FLOW, name, {"1": 100})
    result = run(run_main, _ansible_check_mode=True)
    assert result["changed"] is False
    assert [alias["name"] for alias in result["aliases"]] == ["a", "b", "c", "prod"]
    prod = result["aliases"][3]
    assert prod["routing"] == [{"version": "1", "weight": 90}, {"version": "2", "weight": 10}]
    assert prod["description"] == "production" and prod["flow_name"] == FLOW
    assert service.actions() == ["ListFlowAliases"] * 2


def test_one_alias_by_name(run_main, service) -> None:
    service.add_alias(FLOW, "prod", {"1": 100})
    assert [alias["name"] for alias in run(run_main, name="prod")["aliases"]] == ["prod"]
    assert run(run_main, alias_name="nope")["aliases"] == []
    assert service.actions() == ["DescribeFlowAlias", "DescribeFlowAlias"]


def test_a_missing_flow_fails_with_the_service_answer(run_main, service) -> None:
    result = run(run_main, flow_name="nope")
    assert result["failed"] and result["error"]["code"] == "FlowNotExists"
