# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reliability suite of issue 6: real ansible-playbook runs against the emulator over loopback."""

from __future__ import annotations

import typing as t

import reliability_scenarios as scenarios
from cloudflow_emulator import EmulatorControl
from reliability_harness import SECRETS, AnsibleRunner, Sizes, assert_no_secrets


def test_fault_soak(emulator: EmulatorControl, ansible: AnsibleRunner, sizes: Sizes) -> None:
    scenarios.fault_soak(emulator, ansible, sizes.executions)


def test_races(emulator: EmulatorControl, ansible: AnsibleRunner, sizes: Sizes) -> None:
    scenarios.races(emulator, ansible, sizes.races)


def test_bad_input_matrix(emulator: EmulatorControl, ansible: AnsibleRunner, soak: bool) -> None:
    # The default run takes every second case with connection defaults (and every credential case): 37 of 65.
    assert scenarios.bad_input(emulator, ansible, every=1 if soak else 2) >= 30


def test_auth_failures_fail_fast(emulator: EmulatorControl, ansible: AnsibleRunner) -> None:
    scenarios.auth_failures(emulator, ansible)


def test_clock_skew_fails_fast(emulator: EmulatorControl, ansible: AnsibleRunner) -> None:
    scenarios.clock_skew(emulator, ansible)


def test_tls_self_signed_refused_unless_validate_certs_false(tls_emulator: EmulatorControl, ansible: AnsibleRunner) -> None:
    scenarios.tls(tls_emulator, ansible)


def test_plain_http_to_non_loopback_refused_before_any_request(emulator: EmulatorControl, tls_emulator: EmulatorControl, ansible: AnsibleRunner) -> None:
    scenarios.plain_http_refused(emulator, tls_emulator, ansible)


def test_secrets_never_shown(emulator: EmulatorControl, tls_emulator: EmulatorControl, ansible: AnsibleRunner, soak: bool,
                             emulator_output: t.Callable[[], str], tls_emulator_output: t.Callable[[], str]) -> None:
    """Every scenario again, shortened, at -vvvv with --diff and the STS key and token: no secret anywhere.

    The scenarios' own assertions run too, so a scenario that breaks fails this test as well; the clock-skew
    scenario runs last, after the scan of the others, so that its failure cannot hide a leak elsewhere.
    """
    ansible.verbosity = 4
    ansible.diff = True
    secrets = SECRETS + (scenarios.EXPIRED_TOKEN,)
    scenario_logs: list[tuple[str, str]] = []

    def keep_log(server: EmulatorControl, label: str) -> None:
        scenario_logs.append((label, server.requests_text()))

    def scan() -> None:
        assert ansible.runs
        # The scan must be able to find something: -vvvv output is long and names the module.
        assert all("cloudflow_execution" in run.stdout for run in ansible.runs)
        for number, run in enumerate(ansible.runs, 1):
            assert_no_secrets(run.stdout, "stdout of run {0}".format(number), secrets)
            assert_no_secrets(run.stderr, "stderr of run {0}".format(number), secrets)
            assert_no_secrets(run.results_text, "the results of run {0}".format(number), secrets)
        for label, text in scenario_logs:
            assert '"requests"' in text
            assert_no_secrets(text, label, secrets)
        assert_no_secrets(emulator_output(), "the emulator's own output", secrets)
        assert_no_secrets(tls_emulator_output(), "the TLS emulator's own output", secrets)

    # Here the point is the secrets; test_fault_soak proves the faults happen, on a run large enough for it.
    scenarios.fault_soak(emulator, ansible, 40 if soak else 15, sts=True, prove_faults=False)
    keep_log(emulator, "the request log of the fault soak")
    scenarios.races(emulator, ansible, 10 if soak else 3, sts=True)
    keep_log(emulator, "the request log of the races")
    scenarios.bad_input(emulator, ansible, sts=True, every=2 if soak else 6)
    keep_log(emulator, "the request log of the bad input matrix")
    scenarios.auth_failures(emulator, ansible, sts=True)
    keep_log(emulator, "the request log of the authentication failures")
    scenarios.tls(tls_emulator, ansible, sts=True)
    keep_log(tls_emulator, "the request log of the TLS runs")
    scenarios.plain_http_refused(emulator, tls_emulator, ansible, sts=True)
    # One playbook per scenario.
    assert len(ansible.runs) == 6
    scan()

    scenarios.clock_skew(emulator, ansible, sts=True)
    keep_log(emulator, "the request log of the clock skew")
    scan()
