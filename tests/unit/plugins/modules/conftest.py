# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for module unit tests: module arguments on every ansible-core, captured exits, a clean environment and the
fake CloudFlow service behind the module runner."""

from __future__ import annotations

import contextlib
import json
import typing as t
from pathlib import Path

import pytest

from ansible.module_utils import basic

from ansible_collections.seed.cloudflow.plugins.module_utils import _credentials, _module
from ansible_collections.seed.cloudflow.plugins.module_utils._connection import ENDPOINT_ENV
from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import ENV_KEY_FAMILIES, ENV_PROFILE_NAMES, ENV_REGION_NAMES
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeCloudFlow

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
# the environment and the service a module run sees

# Every variable the connection is resolved from; none of the machine running the tests leaks in.
CONNECTION_VARIABLES = tuple(name for names in ENV_KEY_FAMILIES for name in names) + ENV_PROFILE_NAMES + ENV_REGION_NAMES + (ENDPOINT_ENV,)
REGION = "cn-hangzhou"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No connection variable from the machine running the tests, and the aliyun CLI profile file under tmp_path
    (absent until a test writes it); returns its path."""
    for name in CONNECTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    config_path = tmp_path / "config.json"
    monkeypatch.setattr(_credentials, "default_config_path", lambda: str(config_path))
    return config_path


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch, module_exits: None) -> FakeCloudFlow:
    """The FakeCloudFlow behind every module run of the test: the runner resolves the connection as usual (the region
    comes from ALIBABA_CLOUD_REGION_ID unless the task sets one), then _module.open_client hands out the fake."""
    fake = FakeCloudFlow()
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", REGION)
    monkeypatch.setattr(_module, "open_client", lambda module, connection: fake)
    return fake


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
