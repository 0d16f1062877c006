# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Times the pieces of one cloudflow_execution stop in a fresh interpreter (run by bench/run.py).

Usage: python bench/module_split.py FLOW NAME
with PYTHONPATH pointing at a directory that holds ansible_collections/seed/cloudflow, and the
endpoint and credentials in the environment (ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT,
ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET).

It runs the same steps as the module's main() (module_utils/_module.py run_module) for state=stopped, with
time.perf_counter() between them, and prints one JSON object (seconds) on stdout:
  import_httpx, import_httpcore (httpx imports it lazily when the first Client is built; it is imported
  explicitly here so that it is counted as an import, not as client setup), import_basic, import_collection (the module and its module_utils),
  args (CloudFlowModule construction with the argument spec and its rules, the module's own checks, and the
  connection resolved from the options and the environment),
  client (credential resolution and the client's construction; the Transport builds its httpx.Client on the
  first request, so that is counted in http),
  http (DescribeExecution + StopExecution round trips and result shaping),
  exit (exit_json: result serialisation).
It follows the module's internals (run_module's steps): when they change, this script changes with them.
"""

from __future__ import annotations

import io
import json
import sys
import time


def main() -> None:
    flow, name = sys.argv[1], sys.argv[2]
    marks = [("start", time.perf_counter())]

    import httpx  # noqa: F401  pylint: disable=unused-import

    marks.append(("import_httpx", time.perf_counter()))
    # httpx defers this import to the first Client; import it here so it is counted as an import.
    import httpcore  # noqa: F401  pylint: disable=unused-import

    marks.append(("import_httpcore", time.perf_counter()))
    from ansible.module_utils import basic

    marks.append(("import_basic", time.perf_counter()))
    from ansible_collections.seed.cloudflow.plugins.module_utils import _connection, _module
    from ansible_collections.seed.cloudflow.plugins.modules import cloudflow_execution as mod

    marks.append(("import_collection", time.perf_counter()))

    # Outside the timed regions: how the test harness hands arguments to AnsibleModule.
    args = {"flow_name": flow, "name": name, "state": "stopped"}
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:
        patch_module_args = None
    if patch_module_args is None:
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
        context = None
    else:
        context = patch_module_args(args)
        context.__enter__()
    t_args = time.perf_counter()
    module = _module.CloudFlowModule(
        mod.argument_spec(),
        mutually_exclusive=[("name", "filters")],
        required_one_of=[("name", "filters")],
        supports_check_mode=True,
    )
    mod.check_options(module.params)
    connection = _connection.resolve(module.params)
    t_client = time.perf_counter()
    client = _module.open_client(module, connection)
    t_http = time.perf_counter()
    with client:
        result = mod.ExecutionManager(module, client).run()
    t_exit = time.perf_counter()
    real_stdout = sys.stdout
    sys.stdout = io.StringIO()
    try:
        module.exit_json(**result)
    except SystemExit:
        pass
    finally:
        captured = sys.stdout.getvalue()
        sys.stdout = real_stdout
    t_end = time.perf_counter()
    if context is not None:
        context.__exit__(None, None, None)

    split = {}
    for (_previous_label, before), (label, after) in zip(marks, marks[1:]):
        split[label] = after - before
    split["args"] = t_client - t_args
    split["client"] = t_http - t_client
    split["http"] = t_exit - t_http
    split["exit"] = t_end - t_exit
    split["changed"] = bool(result.get("changed"))
    split["module_output_bytes"] = len(captured)
    print(json.dumps(split))


if __name__ == "__main__":
    main()
