# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rollout's choices: which version it falls back to, which steps it takes, what each step routes."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._rollout import Rollout, RolloutSettings


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
