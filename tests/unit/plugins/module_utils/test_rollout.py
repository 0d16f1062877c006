# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rollout's choices: which version it falls back to, which steps it takes, what each step routes."""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._rollout import Rollout, RolloutSettings
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeClock, FakeCloudFlow


def rollout(steps: t.Sequence[int] = (10, 50, 100)) -> Rollout:
    return Rollout(t.cast(t.Any, None), RolloutSettings(flow="f", alias="prod", steps=tuple(steps)))


@pytest.mark.parametrize("routing, new, previous", [
    ({"2": 100}, "3", "2"),
    ({"2": 90, "3": 10}, "3", "2"),
    ({"1": 50, "2": 50}, "3", "2"),       # equal weights: the newer one
    ({"3": 100}, "3", None),              # nothing else to fall back to
    ({}, "1", None),                      # no alias yet
    ({"2": 100}, None, "2"),              # check mode: the new version has no number yet
])
def test_the_previous_version_is_the_heaviest_other_one(routing: dict[str, int], new: t.Optional[str], previous: t.Optional[str]) -> None:
    assert Rollout.previous_version(routing, new) == previous


@pytest.mark.parametrize("routing, new, steps", [
    ({"2": 100}, "3", [10, 50, 100]),     # a new rollout goes through every step
    ({"2": 50, "3": 50}, "3", [100]),     # a rerun after a partial rollout goes on from where it stood
    ({"2": 90, "3": 10}, "3", [50, 100]),
    ({"3": 100}, "3", []),                # already there
    ({}, "1", [100]),                     # first release: the alias is created at 100%
    ({"2": 100}, None, [10, 50, 100]),    # check mode with a version to publish
])
def test_the_steps_taken(routing: dict[str, int], new: t.Optional[str], steps: list[int]) -> None:
    assert rollout().steps_to_take(routing, new) == steps


def test_each_step_routes_the_rest_to_the_previous_version() -> None:
    assert Rollout.target("3", "2", 10) == {"3": 10, "2": 90}
    assert Rollout.target("3", "2", 100) == {"3": 100}
    assert Rollout.target("1", None, 10) == {"1": 100}, "nothing to share with: all to the new version"


# -- against the in-memory service -------------------------------------------------------------------------------------

def released(service: FakeCloudFlow, changed: bool = True) -> None:
    """A flow whose version 1 the alias prod serves in full; changed: the flow has changed since."""
    service.add_flow("f", definition="version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: one\n")
    service.publish("f")
    service.add_alias("f", "prod", {"1": 100})
    if changed:
        service.flows["f"]["record"]["Definition"] = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: two\n"


def run(service: FakeCloudFlow, check_mode: bool = False, **options: t.Any) -> dict[str, t.Any]:
    settings = RolloutSettings(**dict({"flow": "f", "alias": "prod", "steps": (50, 100)}, **options))
    wall = Wall(service.clock)
    return Rollout(service, settings, check_mode=check_mode, clock=service.clock, sleep=service.clock.sleep,  # type: ignore[arg-type]
                   now=wall).run()


class Wall:
    """A wall clock for the rollout's RFC 3339 filters that follows the fake monotonic clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.origin = clock.now

    def __call__(self) -> datetime:
        return datetime(2024, 5, 2, tzinfo=timezone.utc) + timedelta(seconds=self.clock.now - self.origin)


def test_check_mode_plans_a_publish_and_the_steps_with_zero_writes() -> None:
    service = FakeCloudFlow()
    released(service)
    result = run(service, check_mode=True, steps=(10, 50, 100))
    assert service.writes() == []
    assert result["published"] and result["version"] is None and result["changes"] == ["definition"]
    assert [step["weight"] for step in result["steps"]] == [10, 50, 100]
    assert result["steps"][0]["routing"] == [{"version": "1", "weight": 90}, {"version": "(new)", "weight": 10}]
    assert result["msg"] == "Would publish and roll out a new version (the flow differs from the newest in definition) from version 1 " \
                            "through alias 'prod' in steps of 10, 50, 100%"


def test_a_failure_that_starts_in_one_step_and_ends_in_the_next_fails_the_later_gate() -> None:
    service = FakeCloudFlow()
    released(service)
    late = "late-1"

    def start_during_the_first_bake(action: str, params: t.Mapping[str, t.Any]) -> None:
        # Started (through the alias, on the new version) during the first step; it fails only during the second.
        if action == "ListExecutions" and late not in service.flows["f"]["executions"]:
            service.add_execution("f", late, "Running", started_time="2024-05-02T00:00:01.000Z")
            service.flows["f"]["qualifiers"][late] = {"qualifier": "prod", "flow_version": "2"}
        elif action == "UpdateFlowAlias" and params.get("RoutingConfigurations") == [{"Version": "2", "Weight": 100}]:
            service.finish("f", late, "Failed")

    service.before_call = start_during_the_first_bake
    result = run(service, bake_seconds=5)
    assert result["rolled_back"] and [entry["name"] for entry in result["failures"]] == [late]
    assert result["steps"][0]["passed"] and not result["steps"][1]["passed"]
    assert service.alias("f", "prod")["RoutingConfigurations"] == [{"Version": "1", "Weight": 100}]
