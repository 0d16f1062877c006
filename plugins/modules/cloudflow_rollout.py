#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudflow_rollout
short_description: Roll a CloudFlow flow out through an alias in gated steps, rolling back when a gate fails
version_added: 0.1.0
description:
  - Releases a flow the way a gradual deployment does, in one run, with the run's one quota budget.
  - Publishes a version when the flow as it now is differs from its newest version (definition compared by meaning,
    description, environment variables, role), or takes the newest version when it does not.
  - Moves the alias O(alias) to that version in steps (O(steps), the new version's share in percent). After each step
    a gate - every smoke execution (one per O(smoke_inputs), started with the new version as qualifier) must succeed
    within O(smoke_timeout) seconds, and then, for O(bake_seconds), the failed or timed-out executions of the new version
    (C(ListExecutions) with its qualifier) must stay at or under O(max_failures).
  - A failed gate routes the alias back to the previous version in full, and the task fails naming the executions that
    failed. The first release of a flow (no alias yet) creates the alias at 100%.
  - At the end, deletes the versions beyond the newest O(keep_versions), never one an alias routes to or one with
    executions in progress.
  - Time-based schedules take no qualifier, so scheduled runs do not follow the alias; the service runs them on the flow
    as it is.
author:
  - seed.cloudflow maintainers (@seed-cloudflow)
extends_documentation_fragment:
  - seed.cloudflow.connection
  - seed.cloudflow.connection.action_group
attributes:
  check_mode:
    description: Only read calls are sent. The result is the plan - whether a version would be published, which version
      would be rolled out from which, and the steps; no gate runs.
    support: full
  diff_mode:
    description: The diff shows the alias's routing before and after.
    support: full
  idempotent:
    description: A second run finds the alias routing to the newest version in full and changes nothing (unless pruning
      has something to delete).
    support: full
options:
  flow_name:
    description: The flow to release. It must exist.
    type: str
    required: true
  alias:
    description: The alias through which the flow is released (the name callers start executions with, as qualifier).
    type: str
    required: true
  steps:
    description:
      - The new version's share of the alias after each step, in percent, rising, the last one V(100), for example
        V([10, 50, 100]).
      - Steps at or below the share the new version already has are skipped (a rerun after a partial rollout goes on).
    type: list
    elements: int
    default: [100]
  smoke_inputs:
    description:
      - The inputs of the smoke executions run after each step, one execution per input (a dict, a JSON object as text,
        or V(null) for none), started with the new version as qualifier. An empty list runs none.
    type: list
    elements: raw
    default: []
  smoke_timeout:
    description: How many seconds the smoke executions of a step have, together, to succeed.
    type: int
    default: 300
  bake_seconds:
    description:
      - How long each step bakes after its smoke executions. During that time the failed or timed-out executions of the
        new version (started since the step) are counted every few seconds; more than O(max_failures) fails the gate at
        once.
    type: int
    default: 0
  max_failures:
    description: How many failed or timed-out executions of the new version a bake tolerates.
    type: int
    default: 0
  keep_versions:
    description:
      - After a rollout whose gates all passed, delete the versions beyond the newest this many; V(0) deletes none.
        A version an alias routes to or one with executions in progress is kept (the result says why).
    type: int
    default: 0
  description:
    description: The description of a version this run publishes.
    type: str
  concurrency:
    description: How many smoke executions start and are watched at once (1 to 32).
    type: int
    default: 4
notes:
  - Whether the service counts an execution routed to the new version through the alias under the version's qualifier
    in C(ListExecutions) is not documented; the bake counts what the service answers for the version's qualifier.
seealso:
  - module: seed.cloudflow.cloudflow_flow
  - ref: ansible_collections.seed.cloudflow.docsite.releasing_flows
    description: Releasing flows - a pipeline that rolls out, rolls back and prunes.
"""

EXAMPLES = r"""
- name: Deploy the flow, then roll it out in three steps with smoke tests and a bake time
  seed.cloudflow.cloudflow_rollout:
    flow_name: nightly-etl
    alias: prod
    steps: [10, 50, 100]
    smoke_inputs:
      - {date: "2024-05-01", dry_run: true}
    smoke_timeout: 300
    bake_seconds: 600
    max_failures: 0
    keep_versions: 10
    description: "release {{ lookup('env', 'CI_COMMIT_SHA') }}"
  register: release

- name: What would a release do?
  seed.cloudflow.cloudflow_rollout:
    flow_name: nightly-etl
    alias: prod
    steps: [10, 50, 100]
  check_mode: true
  register: plan
"""

RETURN = r"""
published:
  description: Whether this run published a version (in check mode, would publish one).
  returned: always
  type: bool
version:
  description: The version rolled out; V(null) in check mode when a version would be published (its number is not known yet).
  returned: always
  type: str
  sample: "3"
previous_version:
  description: The version the alias served before (the one a failed gate routes back to); V(null) for a first release.
  returned: always
  type: str
  sample: "2"
changes:
  description: The fields in which the flow differed from its newest version (why a version was published).
  returned: always
  type: list
  elements: str
  sample: [definition]
steps:
  description:
    - One entry per step taken (in check mode, planned), with C(weight), C(routing), the C(smoke) executions (C(name),
      C(input), C(status), C(error)), the C(bake_failures) and whether the gate C(passed).
  returned: always
  type: list
  elements: dict
routing:
  description: The alias's routing at the end, as C(version) and C(weight) entries.
  returned: always
  type: list
  elements: dict
  sample: [{version: "3", weight: 100}]
rolled_back:
  description: Whether a failed gate routed the alias back to the previous version.
  returned: always
  type: bool
pruned:
  description: The versions deleted at the end.
  returned: always
  type: list
  elements: str
kept:
  description: The versions beyond O(keep_versions) that were kept, each with the reason.
  returned: always
  type: dict
  sample: {"1": "alias canary routes to it"}
failures:
  description: The executions that failed the gate (C(name), C(status), and C(error) or C(started_time)).
  returned: always
  type: list
  elements: dict
msg:
  description: One line saying what was done, or why the rollout stopped.
  returned: always
  type: str
"""

import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._module import Manager, run_module
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_length, check_name, check_positive, json_object_text
from ansible_collections.seed.cloudflow.plugins.module_utils._rollout import Rollout, RolloutSettings

MAX_CONCURRENCY = 32


def argument_spec() -> dict[str, dict[str, t.Any]]:
    return {
        "flow_name": {"type": "str", "required": True},
        "alias": {"type": "str", "required": True},
        "steps": {"type": "list", "elements": "int", "default": [100]},
        "smoke_inputs": {"type": "list", "elements": "raw", "default": []},
        "smoke_timeout": {"type": "int", "default": 300},
        "bake_seconds": {"type": "int", "default": 0},
        "max_failures": {"type": "int", "default": 0},
        "keep_versions": {"type": "int", "default": 0},
        "description": {"type": "str"},
        "concurrency": {"type": "int", "default": 4},
    }


def check_options(params: dict[str, t.Any]) -> None:
    check_name("flow_name", params["flow_name"])
    check_name("alias", params["alias"])
    steps = params["steps"]
    if not steps or any(not 1 <= step <= 100 for step in steps) or any(later <= earlier for earlier, later in zip(steps, steps[1:])) \
            or steps[-1] != 100:
        raise ConfigurationError("steps", "must be rising percentages from 1 to 100 that end with 100, for example [10, 50, 100]; "
                                          "got {0!r}".format(steps))
    for index, smoke_input in enumerate(params["smoke_inputs"]):
        if smoke_input is not None:
            json_object_text("smoke_inputs[{0}]".format(index), smoke_input)
    check_positive("smoke_timeout", params["smoke_timeout"])
    for option in ("bake_seconds", "max_failures", "keep_versions"):
        check_positive(option, params[option], allow_zero=True)
    check_positive("concurrency", params["concurrency"])
    if params["concurrency"] > MAX_CONCURRENCY:
        raise ConfigurationError("concurrency", "must be at most {0}".format(MAX_CONCURRENCY))
    check_length("description", params["description"], 0, 1024)


class RolloutManager(Manager):
    def run(self) -> dict[str, t.Any]:
        params = self.params
        settings = RolloutSettings(
            flow=params["flow_name"], alias=params["alias"], steps=tuple(params["steps"]), smoke_inputs=tuple(params["smoke_inputs"]),
            smoke_timeout=float(params["smoke_timeout"]), bake_seconds=float(params["bake_seconds"]),
            max_failures=params["max_failures"], keep_versions=params["keep_versions"], description=params["description"],
            concurrency=params["concurrency"],
        )
        before = None
        result = Rollout(self.client, settings, check_mode=self.check_mode).run()
        if self.diff_mode:
            before = result.pop("routing_before", None)
            after = result["steps"][-1]["routing"] if self.check_mode and result["steps"] else result["routing"]
            result["diff"] = {"before": {"routing": before}, "after": {"routing": after}}
        result.pop("routing_before", None)
        result["failed"] = bool(result["failures"])
        return result


def main() -> None:
    run_module(
        argument_spec(),
        lambda module, client: RolloutManager(module, client).run(),
        check=check_options,
        subject=lambda params: "Flow {0!r}".format(params["flow_name"]),
        supports_check_mode=True,
    )


if __name__ == "__main__":
    main()
