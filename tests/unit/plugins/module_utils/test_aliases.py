# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Routing: the option's rules, the service's spellings, compared by meaning; qualifiers; alias calls on the fake."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._aliases import (
    check_qualifier,
    create_alias,
    delete_alias,
    describe_alias,
    list_aliases,
    routed_versions,
    routing_entries,
    routing_from_option,
    routing_from_service,
    routing_parameter,
    update_alias,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, ConfigurationError
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

FLOW = "flow"


# -- the routing option ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("entries, expected", [
    ([{"version": "1", "weight": 100}], {"1": 100}),
    ([{"version": 1, "weight": 100}], {"1": 100}),
    ([{"version": "2", "weight": "90"}, {"version": 3, "weight": 10}], {"2": 90, "3": 10}),
    ([{"version": "2", "weight": " 50 "}, {"version": "3", "weight": 50}], {"2": 50, "3": 50}),
    ([{"version": "1", "weight": 0}, {"version": "2", "weight": 100}], {"1": 0, "2": 100}),
])
def test_routing_option_accepted(entries: list[dict[str, t.Any]], expected: dict[str, int]) -> None:
    assert routing_from_option("routing", entries) == expected


@pytest.mark.parametrize("entries, option, rule", [
    ([], "routing", "one or two"),
    ([{"version": "1", "weight": 50}, {"version": "2", "weight": 25}, {"version": "3", "weight": 25}], "routing", "one or two"),
    ({"version": "1", "weight": 100}, "routing", "one or two"),
    (None, "routing", "one or two"),
    (["1"], "routing[0]", "version and weight"),
    ([{"version": "1"}], "routing[0]", "version and weight"),
    ([{"version": "1", "weight": 100, "extra": 1}], "routing[0]", "version and weight"),
    ([{"version": "01", "weight": 100}], "routing[0].version", "version number"),
    ([{"version": "latest", "weight": 100}], "routing[0].version", "version number"),
    ([{"version": 0, "weight": 100}], "routing[0].version", "version number"),
    ([{"version": -1, "weight": 100}], "routing[0].version", "version number"),
    ([{"version": True, "weight": 100}], "routing[0].version", "version number"),
    ([{"version": 1.5, "weight": 100}], "routing[0].version", "version number"),
    ([{"version": "1", "weight": 50}, {"version": 1, "weight": 50}], "routing", "twice"),
    ([{"version": "1", "weight": 101}], "routing[0].weight", "0 to 100"),
    ([{"version": "1", "weight": -1}, {"version": "2", "weight": 101}], "routing[0].weight", "0 to 100"),
    ([{"version": "1", "weight": 100.0}], "routing[0].weight", "whole number"),
    ([{"version": "1", "weight": "50.0"}, {"version": "2", "weight": 50}], "routing[0].weight", "whole number"),
    ([{"version": "1", "weight": True}], "routing[0].weight", "whole number"),
    ([{"version": "1", "weight": "1_00"}], "routing[0].weight", "whole number"),
    ([{"version": "1", "weight": "+100"}], "routing[0].weight", "whole number"),
    ([{"version": "1", "weight": None}], "routing[0].weight", "whole number"),
    ([{"version": "1", "weight": 90}], "routing", "add up to 100; they add up to 90"),
    ([{"version": "1", "weight": 60}, {"version": "2", "weight": 60}], "routing", "add up to 100; they add up to 120"),
])
def test_routing_option_refused_naming_the_option_and_the_rule(entries: t.Any, option: str, rule: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        routing_from_option("routing", entries)
    assert refused.value.option == option
    assert rule in str(refused.value)


# -- the service's spellings -------------------------------------------------------------------------------------------

def test_string_and_integer_weights_and_any_order_mean_the_same_routing() -> None:
    listed = [{"Version": "2", "Weight": "10"}, {"Version": "1", "Weight": "90"}]  # ListFlowAliases
    described = [{"Version": "1", "Weight": 90}, {"Version": "2", "Weight": 10}]  # DescribeFlowAlias
    as_text = '[{"Version": 2, "Weight": 10}, {"Version": "1", "Weight": 90}]'
    given = routing_from_option("routing", [{"version": 2, "weight": "10"}, {"version": "1", "weight": 90}])
    assert routing_from_service(listed) == routing_from_service(described) == routing_from_service(as_text) == given == {"1": 90, "2": 10}


def test_a_different_weight_or_version_is_a_different_routing() -> None:
    current = routing_from_service([{"Version": "1", "Weight": "90"}, {"Version": "2", "Weight": "10"}])
    assert routing_from_option("routing", [{"version": 1, "weight": 80}, {"version": 2, "weight": 20}]) != current
    assert routing_from_option("routing", [{"version": 1, "weight": 90}, {"version": 3, "weight": 10}]) != current
    assert routing_from_option("routing", [{"version": 1, "weight": 100}]) != current


def test_unreadable_service_routing_is_not_taken_for_any_given_one() -> None:
    assert routing_from_service("not json") == {}
    assert routing_from_service(None) == {}
    assert routing_from_service([{"Version": "1", "Weight": "many"}]) == {"1": 0}


def test_routing_as_returned_and_as_sent() -> None:
    routing = {"3": 10, "2": 90}
    assert routing_entries(routing) == [{"version": "2", "weight": 90}, {"version": "3", "weight": 10}]
    assert routing_entries({"10": 50, "9": 50}) == [{"version": "9", "weight": 50}, {"version": "10", "weight": 50}]
    assert routing_parameter(routing) == [{"Version": "2", "Weight": 90}, {"Version": "3", "Weight": 10}]


def test_routed_versions_names_every_alias_with_any_weight() -> None:
    aliases = [
        {"name": "canary", "routing": [{"version": "2", "weight": 100}]},
        {"name": "prod", "routing": [{"version": "1", "weight": 100}, {"version": "2", "weight": 0}]},
    ]
    assert routed_versions(aliases) == {"2": ["canary", "prod"], "1": ["prod"]}


# -- qualifiers --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [("1", "1"), ("42", "42"), (" 7 ", "7"), ("prod", "prod"), ("_canary-2", "_canary-2")])
def test_qualifier_accepted(value: str, expected: str) -> None:
    assert check_qualifier("qualifier", value) == expected


@pytest.mark.parametrize("value, rule", [
    ("0", "version number"), ("01", "version number"), ("1a", "version number"), ("", "1-128"),
    ("a b", "letters, digits"), ("-x", "starting with a letter"), ("x" * 129, "1-128"),
])
def test_qualifier_refused_naming_the_option(value: str, rule: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        check_qualifier("qualifier", value)
    assert refused.value.option == "qualifier" and rule in str(refused.value)


# -- calls -------------------------------------------------------------------------------------------------------------

@pytest.fixture
def service() -> FakeCloudFlow:
    fake = FakeCloudFlow(page_size=2)
    fake.add_flow(FLOW)
    fake.publish(FLOW)
    fake.publish(FLOW)
    return fake


def test_create_describe_list_update_delete(service: FakeCloudFlow) -> None:
    created = create_alias(service, FLOW, "prod", {"2": 10, "1": 90}, "production")  # type: ignore[arg-type]
    assert created == {"flow_name": FLOW, "name": "prod", "description": "production", "created_time": created["created_time"],
                       "routing": [{"version": "1", "weight": 90}, {"version": "2", "weight": 10}]}
    assert service.sent("CreateFlowAlias")[0]["RoutingConfigurations"] == [{"Version": "1", "Weight": 90}, {"Version": "2", "Weight": 10}]
    for name in ("a", "b", "c"):
        create_alias(service, FLOW, name, {"1": 100}, None)  # type: ignore[arg-type]
    listed = list_aliases(service, FLOW)  # type: ignore[arg-type]
    assert [alias["name"] for alias in listed] == ["a", "b", "c", "prod"]  # across two pages of two
    assert listed[3] == created  # weights listed as strings read as integers
    updated = update_alias(service, FLOW, "prod", description="")  # type: ignore[arg-type]
    assert service.sent("UpdateFlowAlias")[-1] == {"FlowName": FLOW, "Name": "prod", "Description": ""}
    assert updated["description"] == "" and updated["routing"] == created["routing"]
    assert describe_alias(service, FLOW, "prod") == updated  # type: ignore[arg-type]
    assert delete_alias(service, FLOW, "prod") is True  # type: ignore[arg-type]
    assert describe_alias(service, FLOW, "prod") is None  # type: ignore[arg-type]
    assert delete_alias(service, FLOW, "prod") is False  # type: ignore[arg-type]


def test_delete_on_a_retry_that_finds_it_gone_was_ours(service: FakeCloudFlow) -> None:
    service.add_alias(FLOW, "prod", {"1": 100})
    service.inject("DeleteFlowAlias", ApiError("DeleteFlowAlias", 404, "FlowAliasNotExists", "gone", "req", attempts=2))
    assert delete_alias(service, FLOW, "prod") is True  # type: ignore[arg-type]


def test_describe_of_a_missing_flow_raises(service: FakeCloudFlow) -> None:
    with pytest.raises(ApiError) as raised:
        describe_alias(service, "nope", "prod")  # type: ignore[arg-type]
    assert raised.value.code == "FlowNotExists"
