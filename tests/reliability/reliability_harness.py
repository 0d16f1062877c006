# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the reliability suite: the playbook runner with the emulator's connection options, the checks, a TLS certificate.

Every module call goes through a real ``ansible-playbook`` process against the emulator over loopback HTTP(S), run by the
emulator package's PlaybookRunner (cloudflow_emulator.playbooks): nothing may ever reach a non-loopback address, so the runner
disables the ECS metadata service, drops proxy settings and points HOME at an empty directory. The emulator itself is driven
through its one client, cloudflow_emulator.EmulatorControl.
"""

from __future__ import annotations

import shutil
import subprocess
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
from cloudflow_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_SECURITY_TOKEN,
    DEFAULT_STS_ACCESS_KEY_ID,
    DEFAULT_STS_ACCESS_KEY_SECRET,
    EmulatorControl,
)
from cloudflow_emulator.playbooks import PlaybookRunner, Run

REPO = Path(__file__).resolve().parents[2]

# The emulator's key table, from the emulator package (its one definition).
ACCESS_KEY_ID = DEFAULT_ACCESS_KEY_ID
ACCESS_KEY_SECRET = DEFAULT_ACCESS_KEY_SECRET
STS_KEY_ID = DEFAULT_STS_ACCESS_KEY_ID
STS_SECRET = DEFAULT_STS_ACCESS_KEY_SECRET
STS_TOKEN = DEFAULT_SECURITY_TOKEN
# Every value that must never show up in any output.
SECRETS = (ACCESS_KEY_SECRET, STS_SECRET, STS_TOKEN)

# Settings the soak applies on both sides: the emulator's quotas and the module's pacing.
QUOTA_SCALE = 20


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is: the soak form, the default (shortened) form, or the -vvvv re-run."""

    executions: int
    races: int


class AnsibleRunner(PlaybookRunner):
    """The emulator package's playbook runner, with the module options and environment that reach this suite's emulator."""

    def __init__(self, collections_root: Path, workdir: Path, emulator: EmulatorControl, bytecode_cache: t.Optional[Path] = None) -> None:
        super().__init__(workdir, collections_root, bytecode_cache=bytecode_cache)
        self.emulator = emulator

    def connection(self, endpoint: t.Optional[str] = None, sts: bool = False) -> dict[str, t.Any]:
        """Module options that reach the emulator with the default key or the STS key."""
        if sts:
            credentials = {"access_key_id": STS_KEY_ID, "access_key_secret": STS_SECRET, "security_token": STS_TOKEN}
        else:
            credentials = {"access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET}
        return dict(credentials, endpoint=endpoint or self.emulator.url)

    @staticmethod
    def environment_credentials(sts: bool = True) -> dict[str, str]:
        """The same credentials as environment variables (then no_log masking cannot hide a leak)."""
        if sts:
            return {"ALIBABA_CLOUD_ACCESS_KEY_ID": STS_KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS_SECRET,
                    "ALIBABA_CLOUD_SECURITY_TOKEN": STS_TOKEN}
        return {"ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET}

    def run_module(
        self,
        module: str,
        args: t.Mapping[str, t.Any],
        check_mode: bool = False,
        env: t.Optional[t.Mapping[str, str]] = None,
    ) -> tuple[dict[str, t.Any], Run]:
        """Run one module as one task (errors ignored) and return its registered result and the run."""
        task = {
            "name": "Module under test",
            "seed.cloudflow." + module: dict(args),
            "register": "outcome",
            "ignore_errors": True,
            "check_mode": check_mode,
        }
        run = self.run_playbook([task], registered=["outcome"], env=env)
        outcome = run.results.get("outcome")
        assert outcome is not None, "the playbook did not record a result\n" + run.describe()
        return outcome, run


def assert_no_traceback(run: Run) -> None:
    assert "Traceback" not in run.output, "a Python traceback reached the user\n" + run.describe()


def assert_no_secrets(text: str, where: str, secrets: t.Iterable[str] = SECRETS) -> None:
    for secret in secrets:
        assert secret not in text, "{0!r} appears in {1}".format(secret[:4] + "...", where)


# ---------------------------------------------------------------------------------------------
# TLS


def make_self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files of a self-signed certificate for 127.0.0.1 and localhost."""
    cert_path = directory / "emulator-cert.pem"
    key_path = directory / "emulator-key.pem"
    try:
        import datetime  # pylint: disable=import-outside-toplevel
        import ipaddress  # pylint: disable=import-outside-toplevel

        from cryptography import x509  # pylint: disable=import-outside-toplevel
        from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
        from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
        from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel
    except ImportError:
        openssl = shutil.which("openssl")
        if not openssl:
            pytest.fail("neither the cryptography package nor the openssl command is available to make a test certificate")
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-subj", "/CN=cloudflow-emulator-test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(key_path), "-out", str(cert_path)],
            check=True, capture_output=True,
        )
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cloudflow-emulator-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
