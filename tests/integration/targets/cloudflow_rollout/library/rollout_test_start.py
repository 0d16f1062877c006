#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rollout_test_start: a test helper of the cloudflow_rollout target, not part of the collection.

Starts executions of a flow with a Qualifier (an alias name or a version number) through the collection's own client
(signed StartExecution, as callers of an alias do), so that the bake test can start executions through the alias while
a rollout bakes in the background. Options: flow_name, qualifier, names, and the collection's connection options.
Returns names (the executions started).
"""

from __future__ import annotations

from ansible_collections.seed.cloudflow.plugins.module_utils._executions import request_start
from ansible_collections.seed.cloudflow.plugins.module_utils._module import run_module


def work(module, client):
    started = []
    for name in module.params['names']:
        request_start(client, module.params['flow_name'], name, None, qualifier=module.params['qualifier'])
        started.append(name)
    return {'changed': True, 'names': started}


def main():
    run_module(
        {
            'flow_name': {'type': 'str', 'required': True},
            'qualifier': {'type': 'str', 'required': True},
            'names': {'type': 'list', 'elements': 'str', 'required': True},
        },
        work,
    )


if __name__ == '__main__':
    main()
