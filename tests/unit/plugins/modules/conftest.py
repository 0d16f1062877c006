# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for module unit tests: module arguments on every ansible-core, captured exits, a fake CloudFlow service."""

from __future__ import annotations

import contextlib
import copy
import json
import typing as t

import pytest

from ansible.module_utils import basic

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError
from ansible_collections.seed.cloudflow.plugins.module_utils._module import CloudFlowModule

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 reads the arguments from basic._ANSIBLE_ARGS as JSON bytes

    @contextlib.contextmanager
    def patch_module_args(args: t.Optional[dict[str, t.Any]] = None) -> t.Iterator[None]:
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode("utf-8")
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = payload
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


class ModuleExit(SystemExit):
    """exit_json or fail_json was called; result holds what the module returned.

    A SystemExit, like the real exit: a module's catch-all `except Exception` must not swallow it.
    """

    def __init__(self, result: dict[str, t.Any], failed: bool) -> None:
        super().__init__(result.get("msg"))
        self.result = result
        self.failed = failed


@pytest.fixture
def module_exits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make exit_json and fail_json raise ModuleExit instead of printing and exiting."""

    warnings: list[str] = []

    def warn(self: basic.AnsibleModule, warning: str) -> None:
        warnings.append(warning)

    def exit_json(self: basic.AnsibleModule, **result: t.Any) -> t.NoReturn:
        result.setdefault("changed", False)
        if warnings:
            result["warnings"] = list(warnings)
        raise ModuleExit(result, failed=False)

    def fail_json(self: basic.AnsibleModule, msg: str = "", **result: t.Any) -> t.NoReturn:
        result.update(msg=msg, failed=True)
        raise ModuleExit(result, failed=True)

    monkeypatch.setattr(basic.AnsibleModule, "warn", warn)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


# ---------------------------------------------------------------------------------------------
# a fake service behind CloudFlowModule.client()

TERMINAL = ("Stopped", "Succeeded", "Failed", "TimedOut")


class FakeClient:
    """Answers CloudFlowClient.call() from an in-memory table of one flow's executions and records every call."""

    def __init__(self, flow_name: str = "flow", executions: t.Optional[dict[str, str]] = None, *, race: bool = False,
                 failing_stops: t.Iterable[str] = (), page_size: t.Optional[int] = None) -> None:
        self.flow_name = flow_name
        self.executions: dict[str, dict[str, t.Any]] = {}
        for index, (name, status) in enumerate((executions or {}).items()):
            self.add(name, status, started_time="2024-05-01T00:{0:02d}:00.000Z".format(index))
        self.race = race
        self.failing_stops = set(failing_stops)
        self.page_size = page_size
        self.calls: list[tuple[str, dict[str, t.Any]]] = []
        self.closed = False

    def add(self, name: str, status: str, started_time: str = "2024-05-01T00:00:00.000Z", input_text: t.Optional[str] = None) -> None:
        self.executions[name] = {
            "Name": name, "FlowName": self.flow_name, "Status": status, "StartedTime": started_time,
            "StoppedTime": "" if status not in TERMINAL else "2024-05-01T01:00:00.000Z", "Input": input_text or "",
            "Output": "", "FlowDefinition": "version: v1",
        }

    # the client interface the modules use
    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.closed = True

    def actions(self) -> list[str]:
        return [action for action, _params in self.calls]

    def writes(self) -> list[str]:
        return [action for action in self.actions() if action not in ("DescribeExecution", "ListExecutions", "GetExecutionHistory")]

    def call(self, action: str, params: t.Mapping[str, t.Any], *, read_timeout: t.Optional[float] = None) -> dict[str, t.Any]:
        self.calls.append((action, {key: value for key, value in params.items() if value is not None}))
        if params.get("FlowName") != self.flow_name:
            raise ApiError(action, 400, "FlowNotExists", "flow {0} does not exist".format(params.get("FlowName")), "req-flow")
        handler = getattr(self, "_" + action)
        return handler(params)

    def _execution(self, action: str, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        execution = self.executions.get(params["ExecutionName"])
        if execution is None:
            raise ApiError(action, 400, "ExecutionNotExists", "execution does not exist", "req-missing")
        return execution

    def _DescribeExecution(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        execution = self._execution("DescribeExecution", params)
        reply = copy.deepcopy(execution)
        if self.race and execution["Status"] in ("Starting", "Running"):
            execution["Status"] = "Succeeded"  # finishes right after this read
        return reply

    def _StopExecution(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        execution = self._execution("StopExecution", params)
        if params["ExecutionName"] in self.failing_stops:
            raise ApiError("StopExecution", 500, "InternalServerError", "the service failed", "req-500", attempts=7)
        if execution["Status"] in TERMINAL:
            raise ApiError("StopExecution", 400, "ExecutionAlreadyCompleted", "already completed", "req-done")
        execution["Status"] = "Stopped"
        execution["StoppedTime"] = "2024-05-01T02:00:00.000Z"
        return copy.deepcopy(execution)

    def _StartExecution(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        if params["ExecutionName"] in self.executions:
            raise ApiError("StartExecution", 400, "ExecutionAlreadyExists", "already exists", "req-exists")
        self.add(params["ExecutionName"], "Running", input_text=params.get("Input"))
        return copy.deepcopy(self.executions[params["ExecutionName"]])

    def _ListExecutions(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        selected = [
            execution for execution in self.executions.values()
            if (not params.get("Status") or execution["Status"] == params["Status"])
            and execution["Name"].startswith(params.get("ExecutionNamePrefix") or "")
            and (not params.get("StartedTimeBegin") or execution["StartedTime"] >= params["StartedTimeBegin"])
            and (not params.get("StartedTimeEnd") or execution["StartedTime"] <= params["StartedTimeEnd"])
        ]
        size = self.page_size or int(params.get("Limit") or 99)
        start = int(params.get("NextToken") or 0)
        page = selected[start:start + size]
        next_token = str(start + size) if start + size < len(selected) else None
        return {"Executions": copy.deepcopy(page), "NextToken": next_token}

    def _GetExecutionHistory(self, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        self._execution("GetExecutionHistory", params)
        return {"Events": [
            {"EventId": 1, "ScheduleEventId": 0, "Type": "ExecutionStarted", "StepName": "", "Time": "2024-05-01T00:00:00.000Z",
             "EventDetail": '{"input": {}}'},
        ]}


@pytest.fixture
def fake_service(monkeypatch: pytest.MonkeyPatch, module_exits: None) -> t.Callable[..., FakeClient]:
    """Make CloudFlowModule.client() return a FakeClient built with the given arguments."""

    def install(*args: t.Any, **kwargs: t.Any) -> FakeClient:
        client = FakeClient(*args, **kwargs)
        monkeypatch.setattr(CloudFlowModule, "client", lambda self: client)
        return client

    return install


@pytest.fixture
def module_args() -> t.Callable[..., t.ContextManager[None]]:
    """patch_module_args on ansible-core >= 2.19, its stand-in on older cores."""
    return patch_module_args


@pytest.fixture
def run_main(module_exits: None) -> t.Callable[[t.Callable[[], None], dict[str, t.Any]], dict[str, t.Any]]:
    """Run a module's main() with args and return its result (failed results carry failed=True)."""

    def run(main: t.Callable[[], None], args: dict[str, t.Any]) -> dict[str, t.Any]:
        with patch_module_args(args):
            with pytest.raises(ModuleExit) as exited:
                main()
        return exited.value.result

    return run
