# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the reliability suite: the emulator and its control surface, and an ansible-playbook runner.

Every module call goes through a real ``ansible-playbook`` process against the emulator over loopback
HTTP(S). Nothing here may ever reach a non-loopback address: the runner disables the ECS metadata
service, drops proxy settings and points HOME at an empty directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cloudflow_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_SECURITY_TOKEN,
    DEFAULT_STS_ACCESS_KEY_ID,
    DEFAULT_STS_ACCESS_KEY_SECRET,
)

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

# Environment variables that could send the modules elsewhere or hand them credentials we did not choose.
_SCRUBBED_PREFIXES = ("ALIBABA_CLOUD_", "ALICLOUD_", "ANSIBLE_", "CLOUDFLOW_")
_SCRUBBED_NAMES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "PYTHONPATH")


RESULTS_CALLBACK = "seed_reliability_results"
RESULTS_CALLBACK_SOURCE = '''# Written by tests/reliability: records each registered task result into $SEED_RELIABILITY_RESULTS.
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase


def _on(failed, skipped=False, item=False):
    """A v2_runner_*on_* handler that records the result with the outcome its event stands for."""
    def handler(self, result, **_ignored):
        (self._record_item if item else self._record)(result, failed, skipped)
    return handler


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "seed_reliability_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recorded = {}
        self.items = {}

    @staticmethod
    def _names(result):
        register = getattr(result._task, "register", None)
        # ansible-core 2.19+ keeps register as a {name: projection} mapping; older ones as the name.
        return list(register) if isinstance(register, dict) else [register] if register else []

    @staticmethod
    def _shaped(result, failed, skipped=False):
        # The event says whether the task failed or was skipped: the copies of the result that
        # ansible-core hands to callbacks lose "failed" and "skipped" (TaskResult.clean_copy on
        # 2.18) or keep them beside the dict (2.19+), so neither the dict nor is_failed() can be
        # trusted here. "changed" survives the copy on every core.
        shaped = dict(result._result)
        shaped["failed"] = failed
        shaped["changed"] = bool(result.is_changed())
        if skipped:
            shaped["skipped"] = True
        return shaped

    def _record(self, result, failed, skipped=False):
        for name in self._names(result):
            shaped = self._shaped(result, failed, skipped)
            if name in self.items:
                shaped["results"] = self.items.pop(name)
            self.recorded[name] = shaped

    def _record_item(self, result, failed, skipped=False):
        for name in self._names(result):
            self.items.setdefault(name, []).append(self._shaped(result, failed, skipped))

    # The event is the outcome (see _shaped).
    v2_runner_on_ok = _on(failed=False)
    v2_runner_on_failed = v2_runner_on_unreachable = _on(failed=True)
    v2_runner_on_skipped = _on(failed=False, skipped=True)
    v2_runner_item_on_ok = _on(failed=False, item=True)
    v2_runner_item_on_failed = _on(failed=True, item=True)
    v2_runner_item_on_skipped = _on(failed=False, skipped=True, item=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("SEED_RELIABILITY_RESULTS")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.recorded, handle, default=str)
'''


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is: the soak form, the default (shortened) form, or the -vvvv re-run."""

    executions: int
    races: int


class Emulator:
    """A running emulator and its unsigned control surface (docs/architecture.md)."""

    def __init__(self, url: str, log_path: t.Optional[Path] = None, verify: t.Any = False) -> None:
        self.url = url.rstrip("/")
        self.log_path = log_path
        # trust_env=False: never a proxy, never a certificate bundle from the environment.
        self._http = httpx.Client(base_url=self.url, timeout=30.0, trust_env=False, verify=verify)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, body: t.Any = None) -> t.Any:
        response = self._http.request(method, "/_emulator" + path, json=body)
        if response.status_code >= 400:
            raise AssertionError("emulator control call {0} {1} answered {2}: {3}".format(
                method, path, response.status_code, response.text))
        return response.json() if response.content else None

    def reset(self, **settings: t.Any) -> None:
        """Forget everything, then apply settings (an unknown setting fails the test, naming it)."""
        self._call("POST", "/reset", {})
        if settings:
            self.configure(**settings)

    def configure(self, **settings: t.Any) -> dict[str, t.Any]:
        return self._call("POST", "/config", settings)

    def settings(self) -> dict[str, t.Any]:
        return self._call("GET", "/config")

    def seed(self, flow_name: str, name: str, status: str = "Running", **extra: t.Any) -> dict[str, t.Any]:
        return self._call("POST", "/executions", dict(extra, flow_name=flow_name, name=name, status=status))

    def seed_bulk(self, flow_name: str, count: int, name_prefix: str, status: str = "Running") -> list[str]:
        """Seed count executions and return their names (<prefix><index, 4 digits>)."""
        self._call("POST", "/executions/bulk", {"flow_name": flow_name, "count": count, "name_prefix": name_prefix, "status": status})
        return ["{0}{1:04d}".format(name_prefix, index) for index in range(count)]

    def schedule(self, flow_name: str, name: str, cron_expression: str = "0 0 4 * * *", enable: bool = True,
                 payload: t.Any = None) -> dict[str, t.Any]:
        body = {"flow_name": flow_name, "name": name, "cron_expression": cron_expression, "enable": enable}
        if payload is not None:
            body["payload"] = payload
        return self._call("POST", "/schedules", body)

    def schedules_enabled(self) -> dict[str, bool]:
        """{"flow/schedule": enabled} as the emulator holds them now."""
        return {"{0}/{1}".format(entry["flow_name"], entry["ScheduleName"]): bool(entry["Enable"])
                for entry in self._call("GET", "/schedules")["schedules"]}

    def statuses(self, flow_name: str) -> dict[str, str]:
        """{execution name: status} as the emulator holds them now."""
        body = self._http.get("/_emulator/executions", params={"flow_name": flow_name})
        body.raise_for_status()
        executions = body.json()["executions"]
        return {execution.get("name", execution.get("Name")): execution.get("status", execution.get("Status")) for execution in executions}

    def requests(self) -> dict[str, t.Any]:
        return self._call("GET", "/requests")

    def requests_text(self) -> str:
        """The raw request log as served, for secret scans."""
        return self._http.get("/_emulator/requests").text

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def log_text(self) -> str:
        """What the emulator process wrote to stdout and stderr ('' when it is not ours)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def clean_environment() -> dict[str, str]:
    env = {
        name: value for name, value in os.environ.items()
        if not name.upper().startswith(_SCRUBBED_PREFIXES) and name.upper() not in _SCRUBBED_NAMES
    }
    # Nothing may ever ask the ECS metadata service (100.100.100.200) for credentials.
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    env["NO_PROXY"] = env["no_proxy"] = "*"
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        env.pop(name, None)
    return env


def ansible_playbook_command() -> str:
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.exists():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if not found:
        pytest.fail("ansible-playbook is not installed beside {0} nor on PATH".format(sys.executable))
    return found


@dataclass
class Run:
    """One ansible-playbook run: exit code, output, and the registered results it dumped."""

    returncode: int
    stdout: str
    stderr: str
    results: dict[str, t.Any] = field(default_factory=dict)
    results_text: str = ""

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr

    def everything(self) -> str:
        """Every text a user could see: stdout, stderr and the results."""
        return "\n".join((self.stdout, self.stderr, self.results_text))

    def describe(self) -> str:
        return "rc={0}\n--- stdout (tail) ---\n{1}\n--- stderr (tail) ---\n{2}".format(
            self.returncode, self.stdout[-6000:], self.stderr[-3000:])


class AnsibleRunner:
    """Runs playbooks on the implicit localhost with a clean, loopback-only environment."""

    def __init__(self, collections_root: Path, workdir: Path, emulator: Emulator, bytecode_cache: t.Optional[Path] = None) -> None:
        self.collections_root = collections_root
        self.bytecode_cache = bytecode_cache
        self.workdir = workdir
        self.emulator = emulator
        self.home = workdir / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file = workdir / "ansible.cfg"
        self.config_file.write_text("[defaults]\n", encoding="utf-8")
        self.callbacks = workdir / "callback_plugins"
        self.callbacks.mkdir(exist_ok=True)
        (self.callbacks / (RESULTS_CALLBACK + ".py")).write_text(RESULTS_CALLBACK_SOURCE, encoding="utf-8")
        self._counter = 0
        # Set by tests that re-run scenarios for the secrets check.
        self.verbosity = 0
        self.diff = False
        self.runs: list[Run] = []

    def environment(self, extra: t.Optional[t.Mapping[str, str]] = None) -> dict[str, str]:
        env = clean_environment()
        env.update({
            "HOME": str(self.home),
            "ANSIBLE_CONFIG": str(self.config_file),
            "ANSIBLE_HOME": str(self.home / ".ansible"),
            "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": str(self.workdir / "ansible-remote"),
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections_root),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "ANSIBLE_SYSTEM_WARNINGS": "false",
            "ANSIBLE_GATHERING": "explicit",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
            "ANSIBLE_CALLBACK_PLUGINS": str(self.callbacks),
            "ANSIBLE_CALLBACKS_ENABLED": RESULTS_CALLBACK,
        })
        # Nothing here ships bytecode (the venvs are installed without it), so without a cache every
        # ansible-playbook and every module process compiles ansible-core, httpx and the rest from source
        # again (about half of a 2.18 run; less on 2.21, whose modules spend their time compiling the
        # module_utils in the AnsiballZ zip, which no cache covers). A cache outside the repository and
        # the venv (the same sources run either way); with none, never write bytecode at all.
        if self.bytecode_cache is not None:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(self.bytecode_cache)
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        if extra:
            env.update(extra)
        return env

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

    def run_playbook(
        self,
        tasks: t.Sequence[t.Mapping[str, t.Any]],
        registered: t.Sequence[str] = (),
        env: t.Optional[t.Mapping[str, str]] = None,
        extra_args: t.Sequence[str] = (),
        play_vars: t.Optional[t.Mapping[str, t.Any]] = None,
    ) -> Run:
        """Run tasks as one play on localhost; the results of the tasks registering the names in registered are returned.

        The playbook is written as JSON (valid YAML), so no value is ever re-quoted by us. The results are
        recorded by a small callback plugin (no extra task, so no extra cost per run), keyed by register name,
        as the controller received them: after Ansible's own no_log masking, like what a user sees.
        """
        background = self.start_playbook(tasks, registered, env, extra_args, play_vars)
        return background.wait(timeout=1800)

    def start_playbook(
        self,
        tasks: t.Sequence[t.Mapping[str, t.Any]],
        registered: t.Sequence[str] = (),
        env: t.Optional[t.Mapping[str, str]] = None,
        extra_args: t.Sequence[str] = (),
        play_vars: t.Optional[t.Mapping[str, t.Any]] = None,
    ) -> Background:
        """Start the playbook of run_playbook in its own process group (as a terminal runs a command), and return at once."""
        self._counter += 1
        results_file = self.workdir / "results-{0}.json".format(self._counter)
        playbook_file = self.workdir / "playbook-{0}.yml".format(self._counter)
        play = {
            "name": "reliability",
            "hosts": "localhost",
            "gather_facts": False,
            "vars": dict(play_vars or {}),
            "tasks": list(tasks),
        }
        playbook_file.write_text(json.dumps([play], indent=1), encoding="utf-8")
        command = [ansible_playbook_command(), str(playbook_file)] + list(extra_args)
        if self.verbosity:
            command.append("-" + "v" * self.verbosity)
        if self.diff:
            command.append("--diff")
        output = self.workdir / "output-{0}".format(self._counter)
        stdout = open(str(output) + ".out", "w+", encoding="utf-8", errors="replace")  # pylint: disable=consider-using-with
        stderr = open(str(output) + ".err", "w+", encoding="utf-8", errors="replace")  # pylint: disable=consider-using-with
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            command, cwd=str(self.workdir), env=self.environment(dict(env or {}, SEED_RELIABILITY_RESULTS=str(results_file))),
            stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True,
        )
        return Background(self, process, stdout, stderr, results_file, registered)

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


class Background:
    """A playbook running in its own process group; wait() collects it as a Run (and adds it to the runner's runs)."""

    def __init__(self, runner: AnsibleRunner, process: subprocess.Popen, stdout: t.IO[str], stderr: t.IO[str],  # type: ignore[type-arg]
                 results_file: Path, registered: t.Sequence[str]) -> None:
        self.runner = runner
        self.process = process
        self._stdout = stdout
        self._stderr = stderr
        self.results_file = results_file
        self.registered = registered

    def signal_group(self, number: int) -> None:
        """Send a signal to the playbook's whole process group: ansible-playbook, its workers and the module processes."""
        os.killpg(self.process.pid, number)

    def wait(self, timeout: float) -> Run:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(9)
            self.process.wait()
            raise
        finally:
            for handle in (self._stdout, self._stderr):
                handle.flush()
        self._stdout.seek(0)
        self._stderr.seek(0)
        run = Run(self.process.returncode, self._stdout.read(), self._stderr.read())
        self._stdout.close()
        self._stderr.close()
        if self.results_file.exists():
            run.results_text = self.results_file.read_text(encoding="utf-8")
            recorded = json.loads(run.results_text)
            run.results = {name: recorded.get(name) for name in self.registered}
        self.runner.runs.append(run)
        return run


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
