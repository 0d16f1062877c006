# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the reliability suite (helpers live in reliability_harness.py).

``pytest tests/reliability`` runs the shortened scenarios; ``--soak`` the long form of issue 6.
Set CLOUDFLOW_EMULATOR_URL to use an emulator that is already running instead of starting one.
"""

from __future__ import annotations

import os
import ssl
import typing as t
from pathlib import Path

import pytest

from cloudflow_emulator import EmulatorControl, EmulatorProcess
from reliability_harness import AnsibleRunner, Sizes, make_self_signed_certificate


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true", default=False,
                     help="run the long form of the reliability scenarios (300 executions, 100 races)")


@pytest.fixture(scope="session")
def soak(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--soak"))


@pytest.fixture(scope="session")
def sizes(soak: bool) -> Sizes:
    return Sizes(executions=300, races=100) if soak else Sizes(executions=60, races=20)


@pytest.fixture(scope="session")
def emulator_process(request: pytest.FixtureRequest) -> t.Optional[EmulatorProcess]:
    """The plain-HTTP emulator on 127.0.0.1 (the emulator package's fixture), or None when
    CLOUDFLOW_EMULATOR_URL names one that is already running."""
    if os.environ.get("CLOUDFLOW_EMULATOR_URL"):
        return None
    process: EmulatorProcess = request.getfixturevalue("cloudflow_emulator")
    return process


@pytest.fixture(scope="session")
def emulator(emulator_process: t.Optional[EmulatorProcess]) -> t.Iterator[EmulatorControl]:
    """The control surface of that emulator."""
    with EmulatorControl(emulator_process.url if emulator_process else os.environ["CLOUDFLOW_EMULATOR_URL"]) as control:
        yield control


@pytest.fixture(scope="session")
def emulator_output(emulator_process: t.Optional[EmulatorProcess]) -> t.Callable[[], str]:
    """What that emulator process wrote to stdout and stderr so far ('' when it is not ours)."""
    return emulator_process.log_text if emulator_process else (lambda: "")


@pytest.fixture(scope="session")
def tls_emulator_process(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[EmulatorProcess, Path]]:
    """A second emulator serving HTTPS with a freshly made self-signed certificate for 127.0.0.1, and that certificate."""
    directory = tmp_path_factory.mktemp("tls-emulator")
    cert_path, key_path = make_self_signed_certificate(directory)
    with EmulatorProcess(port=0, args=["--tls-cert", str(cert_path), "--tls-key", str(key_path)],
                         log_path=directory / "emulator.log") as process:
        assert process.url.startswith("https://"), "the TLS emulator announced {0}".format(process.url)
        yield process, cert_path


@pytest.fixture(scope="session")
def tls_emulator(tls_emulator_process: tuple[EmulatorProcess, Path]) -> t.Iterator[EmulatorControl]:
    """The control surface of the TLS emulator, trusting its certificate."""
    process, cert_path = tls_emulator_process
    with EmulatorControl(process.url, verify=ssl.create_default_context(cafile=str(cert_path))) as control:
        yield control


@pytest.fixture(scope="session")
def tls_emulator_output(tls_emulator_process: tuple[EmulatorProcess, Path]) -> t.Callable[[], str]:
    return tls_emulator_process[0].log_text


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A collections root whose ansible_collections/seed/cloudflow is a symlink to this repository."""
    from reliability_harness import REPO  # pylint: disable=import-outside-toplevel

    root = tmp_path_factory.mktemp("collections")
    namespace = root / "ansible_collections" / "seed"
    namespace.mkdir(parents=True)
    (namespace / "cloudflow").symlink_to(REPO, target_is_directory=True)
    return root


@pytest.fixture(scope="session")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PYTHONPYCACHEPREFIX for every ansible-playbook and module process of the session."""
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture
def ansible(collections_path: Path, tmp_path: Path, emulator: EmulatorControl, bytecode_cache: Path) -> AnsibleRunner:
    return AnsibleRunner(collections_path, tmp_path, emulator, bytecode_cache)
