# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Development driver behind the Makefile (standard library only).

Every make target calls one sub-command of this script. It creates and refreshes the development
virtual environments, keeps a copy of the collection where ansible-test can use it, runs each check
as a step, keeps going after a failed step and ends with a one-line summary such as
``test: 17 passed, 0 failed``. It exits non-zero when any step failed.

Run ``python3 hacking/run_tests.py --help`` for the sub-commands; docs/developing.md explains the
design and the traps of the build machines that it handles.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HACKING = os.path.join(REPO, 'hacking')
NAMESPACE = 'seed'
NAME = 'cloudflow'
FQCN = NAMESPACE + '.' + NAME

# Python versions that get a pythonX.Y link on PATH, so that ansible-test finds the real
# interpreters (the pyenv shims on PATH exit 127 unless their version is active).
LINKED_PYTHONS = ('3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14')

EMULATOR_ACCESS_KEY_ID = 'LTAI5tFakeAccessKeyId01'
EMULATOR_ACCESS_KEY_SECRET = 'FakeAccessKeySecret0123456789abcd'
EMULATOR_REGION = 'cn-hangzhou'

# Longest a single command may run before its process group is killed (seconds).
STEP_TIMEOUT = int(os.environ.get('SEED_CLOUDFLOW_STEP_TIMEOUT', '1800'))

ANSI_ESCAPE = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')


@dataclasses.dataclass(frozen=True)
class Core:
    """One supported ansible-core line and the Python its development venv uses."""

    version: str
    python: str
    requirements: str

    @property
    def venv(self):
        return os.path.join(REPO, '.venv', 'core-' + self.version)

    @property
    def bin(self):
        return os.path.join(self.venv, 'bin')

    @property
    def python_bin(self):
        return os.path.join(self.bin, 'python')


# Oldest first, newest last. The newest one also runs the once-only checks (lint, docs, ...).
CORES = (
    Core('2.18', '3.11', 'requirements-core-2.18.txt'),
    Core('2.21', '3.13', 'requirements-core-2.21.txt'),
)


class StepFailed(Exception):
    """A step failed; the message says why."""


# ---------------------------------------------------------------------------------------------
# output and bookkeeping

def say(message=''):
    print(message, flush=True)


def banner(title):
    say('')
    say('=' * 78)
    say('== ' + title)
    say('=' * 78)


class Results:
    """Records each step as passed, failed or skipped and prints the summary."""

    def __init__(self, label):
        self.label = label
        self.steps = []

    def record(self, name, status, detail=''):
        self.steps.append((name, status, detail))
        if status == 'skipped':
            say('skipped: %s' % (detail or name))
        else:
            say('--> %s: %s%s' % (name, status.upper(), (' (%s)' % detail) if detail else ''))

    def run(self, name, function, *args):
        """Run one step; an exception or a StepFailed marks it failed, then we go on."""
        banner(name)
        started = time.monotonic()
        try:
            detail = function(*args)
        except StepFailed as error:
            self.record(name, 'failed', '%s; %.0fs' % (error, time.monotonic() - started))
            return False
        except Exception as error:  # pylint: disable=broad-exception-caught
            self.record(name, 'failed', 'internal error %r; %.0fs' % (error, time.monotonic() - started))
            return False
        timing = '%.0fs' % (time.monotonic() - started)
        self.record(name, 'passed', '%s; %s' % (detail, timing) if isinstance(detail, str) and detail else timing)
        return True

    @property
    def failed(self):
        return [step for step in self.steps if step[1] == 'failed']

    def summary(self):
        passed = sum(1 for step in self.steps if step[1] == 'passed')
        skipped = [step for step in self.steps if step[1] == 'skipped']
        say('')
        say('=' * 78)
        say('summary')
        for name, status, detail in self.steps:
            say('  %-8s %s%s' % (status.upper(), name, ('  [%s]' % detail) if detail else ''))
        line = '%s: %d passed, %d failed' % (self.label, passed, len(self.failed))
        if skipped:
            line += ', %d skipped' % len(skipped)
        say(line)
        return 1 if self.failed or not passed else 0


def run_command(command, cwd=REPO, env=None, timeout=None):
    """Run a command, echo its output as it comes and return (exit code, output without colour).

    The command runs in its own process group; after ``timeout`` seconds (default STEP_TIMEOUT)
    or on Ctrl-C the whole group is killed, so a hung test cannot stall CI.
    """
    timeout = timeout or STEP_TIMEOUT
    say('$ ' + ' '.join(command))
    timed_out = []

    def kill_group(process):
        timed_out.append(True)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass

    with subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True, errors='replace', bufsize=1,
                          start_new_session=True) as process:
        watchdog = threading.Timer(timeout, kill_group, (process,))
        watchdog.daemon = True
        watchdog.start()
        lines = []
        try:
            for line in process.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                lines.append(line)
            code = process.wait()
        except KeyboardInterrupt:
            kill_group(process)
            raise
        finally:
            watchdog.cancel()
    if timed_out:
        raise StepFailed('%s killed after %ss' % (os.path.basename(command[0]), timeout))
    return code, ANSI_ESCAPE.sub('', ''.join(lines))


def check_command(command, cwd=REPO, env=None, what=None):
    code, output = run_command(command, cwd=cwd, env=env)
    if code != 0:
        raise StepFailed('%s exited %d' % (what or os.path.basename(command[0]), code))
    return output


# ---------------------------------------------------------------------------------------------
# interpreters and virtual environments

def python_version_of(candidate):
    """Return 'X.Y' if the candidate interpreter actually runs (and has venv), else None."""
    try:
        result = subprocess.run(
            [candidate, '-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def version_tuple(text):
    return tuple(int(part) for part in re.findall(r'\d+', text))


_FOUND_PYTHONS = {}


def find_python(version):
    """Find a working interpreter for Python X.Y; None if the machine has none.

    The pyenv shims on PATH exit 127 when their version is not the active one, so real
    interpreters under the pyenv versions directory come first and every candidate is run.
    """
    if version in _FOUND_PYTHONS:
        return _FOUND_PYTHONS[version]
    candidates = []
    override = os.environ.get('SEED_CLOUDFLOW_PYTHON' + version.replace('.', '_'))
    if override:
        candidates.append(override)
    pyenv_roots = [os.environ.get('PYENV_ROOT', ''), os.path.expanduser('~/.pyenv')]
    for root in pyenv_roots:
        if root:
            found = glob.glob(os.path.join(root, 'versions', version + '.*', 'bin', 'python' + version))
            candidates.extend(sorted(found, key=lambda path: version_tuple(path.split('/versions/')[1]), reverse=True))
    candidates.extend(os.path.join(directory, 'python' + version) for directory in ('/usr/local/bin', '/usr/bin'))
    on_path = shutil.which('python' + version)
    if on_path:
        candidates.append(on_path)
    result = None
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK) and python_version_of(candidate) == version:
            result = candidate
            break
    _FOUND_PYTHONS[version] = result
    return result


def requirements_digest(core):
    """Hash of the requirement files (following -r includes) that define a core's venv."""
    digest = hashlib.sha256()
    pending = [os.path.join(HACKING, core.requirements)]
    seen = set()
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        with open(path, 'rb') as handle:
            content = handle.read()
        digest.update(path.encode() + b'\0' + content + b'\0')
        for match in re.finditer(rb'^\s*-r\s+(\S+)', content, re.MULTILINE):
            pending.append(os.path.join(os.path.dirname(path), match.group(1).decode()))
    return digest.hexdigest()


def ensure_venv(core):
    """Create or refresh a core's venv; returns False when its Python is not on this machine.

    A stamp file in the venv records the interpreter and the hash of the requirement files. The
    venv is (re)installed only when that changes, so an unchanged venv costs one file read.
    """
    interpreter = find_python(core.python)
    if not interpreter:
        return False
    stamp_path = os.path.join(core.venv, '.seed-cloudflow-stamp.json')
    wanted = {'interpreter': interpreter, 'requirements': requirements_digest(core)}
    try:
        with open(stamp_path, encoding='utf-8') as handle:
            current = json.load(handle)
    except (OSError, ValueError):
        current = None
    if current == wanted and python_version_of(core.python_bin) == core.python:
        return True
    say('setting up %s (ansible-core %s, Python %s from %s)' % (
        os.path.relpath(core.venv, REPO), core.version, core.python, interpreter))
    if current is None or current.get('interpreter') != interpreter or \
            python_version_of(core.python_bin) != core.python:
        shutil.rmtree(core.venv, ignore_errors=True)
        check_command([interpreter, '-m', 'venv', core.venv], what='python -m venv')
    elif os.path.exists(stamp_path):
        os.unlink(stamp_path)
    check_command([core.python_bin, '-m', 'pip', 'install', '--disable-pip-version-check', '-q',
                   '-r', os.path.join(HACKING, core.requirements)], what='pip install')
    with open(stamp_path, 'w', encoding='utf-8') as handle:
        json.dump(wanted, handle)
    return True


# ---------------------------------------------------------------------------------------------
# the copy of the collection that ansible-test works on

def cache_root():
    base = os.environ.get('SEED_CLOUDFLOW_CACHE')
    if not base:
        base = os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'seed-cloudflow')
    # one tree per checkout, so two clones on one machine do not share (and clobber) a copy
    key = '%s-%s' % (os.path.basename(REPO), hashlib.sha1(REPO.encode()).hexdigest()[:10])
    return os.path.join(base, key)


def inside_git_work_tree(path):
    result = subprocess.run(['git', '-C', path, 'rev-parse', '--is-inside-work-tree'],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False)
    return result.returncode == 0 and result.stdout.strip() == 'true'


def repo_files():
    """Tracked and untracked-but-not-ignored files of the work tree (what git would see)."""
    result = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                            cwd=REPO, stdout=subprocess.PIPE, check=True)
    files = set()
    for name in result.stdout.decode('utf-8', 'surrogateescape').split('\0'):
        if name and os.path.lexists(os.path.join(REPO, name)) and not os.path.isdir(os.path.join(REPO, name)):
            files.add(name)
    return files


def collections_root(core_label):
    """The directory above ansible_collections for this core's copy."""
    return os.path.join(cache_root(), 'core-' + core_label)


def collection_copy(core_label):
    return os.path.join(collections_root(core_label), 'ansible_collections', NAMESPACE, NAME)


def sync_copy(core_label):
    """Refresh the copy: new and changed files copied, stale files and tests/output deleted.

    ansible-test needs a real directory .../ansible_collections/seed/cloudflow (a symlink to the
    repo is resolved and then rejected) outside every git work tree (inside one it lists the outer
    repo's files, finds none of its own, says "All targets skipped" and exits 0).
    """
    destination = collection_copy(core_label)
    os.makedirs(destination, exist_ok=True)
    if inside_git_work_tree(destination):
        raise StepFailed('%s is inside a git work tree; ansible-test would skip every target there. '
                         'Set SEED_CLOUDFLOW_CACHE to a directory outside any git checkout.' % destination)
    wanted = repo_files()
    shutil.rmtree(os.path.join(destination, 'tests', 'output'), ignore_errors=True)
    for directory, directories, files in os.walk(destination, topdown=False):
        for name in files + [entry for entry in directories if os.path.islink(os.path.join(directory, entry))]:
            path = os.path.join(directory, name)
            if os.path.relpath(path, destination) not in wanted:
                os.unlink(path)
        if directory != destination and not os.listdir(directory):
            os.rmdir(directory)
    copied = 0
    for name in sorted(wanted):
        source = os.path.join(REPO, name)
        target = os.path.join(destination, name)
        if os.path.islink(source):
            link = os.readlink(source)
            if not os.path.islink(target) or os.readlink(target) != link:
                if os.path.lexists(target):
                    os.unlink(target)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.symlink(link, target)
                copied += 1
            continue
        source_stat = os.stat(source)
        try:
            target_stat = os.lstat(target)
            same = (target_stat.st_size == source_stat.st_size and target_stat.st_mtime_ns == source_stat.st_mtime_ns
                    and target_stat.st_mode == source_stat.st_mode and not os.path.islink(target))
        except FileNotFoundError:
            same = False
        if not same:
            if os.path.lexists(target):
                os.unlink(target)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(source, target)
            copied += 1
    say('collection copy %s: %d files, %d refreshed' % (destination, len(wanted), copied))
    return destination


def python_links_dir():
    """A directory of pythonX.Y links to the real interpreters, for ansible-test's PATH."""
    directory = os.path.join(cache_root(), 'pythons')
    os.makedirs(directory, exist_ok=True)
    for version in LINKED_PYTHONS:
        link = os.path.join(directory, 'python' + version)
        interpreter = find_python(version)
        if os.path.lexists(link) and (not interpreter or os.readlink(link) != interpreter):
            os.unlink(link)
        if interpreter and not os.path.lexists(link):
            os.symlink(interpreter, link)
    return directory


def get_pip_versions(core):
    """The pip versions the installed ansible-test bootstraps, read from its own source."""
    code = ('import ansible_test, os; '
            'print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')
    source_path = subprocess.run([core.python_bin, '-c', code], stdout=subprocess.PIPE, text=True,
                                 check=True).stdout.strip()
    with open(source_path, encoding='utf-8') as handle:
        source = handle.read()
    versions = set(re.findall(r'''\bpip\s*=\s*['"](\d+(?:\.\d+)+)['"]''', source))
    versions.update(re.findall(r'''['"]pip['"]\s*:\s*['"](\d+(?:\.\d+)+)['"]''', source))
    if not versions:
        raise StepFailed('could not find the get-pip version in %s' % source_path)
    return sorted(versions)


def install_get_pip_standin(core):
    """Put the offline get-pip stand-in where ansible-test looks before it downloads get-pip."""
    cache = os.path.expanduser(os.path.join('~', '.ansible', 'test', 'cache'))
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(HACKING, 'get_pip_standin.py'), encoding='utf-8') as handle:
        content = handle.read()
    for version in get_pip_versions(core):
        path = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
        try:
            with open(path, encoding='utf-8') as handle:
                if handle.read() == content:
                    continue
        except OSError:
            pass
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(content)
        say('wrote get-pip %s stand-in: %s' % (version, path))


def base_env(core=None, collections_path=None):
    env = dict(os.environ)
    env['ALIBABA_CLOUD_ECS_METADATA_DISABLED'] = 'true'
    no_proxy = [item for item in env.get('NO_PROXY', '').split(',') if item]
    env['NO_PROXY'] = env['no_proxy'] = ','.join(no_proxy + ['127.0.0.1', 'localhost', '::1'])
    env['PIP_DISABLE_PIP_VERSION_CHECK'] = '1'
    env.pop('VIRTUAL_ENV', None)
    env.pop('PYTHONPATH', None)
    path = [python_links_dir()]
    if core:
        path.insert(0, core.bin)
        env['VIRTUAL_ENV'] = core.venv
    env['PATH'] = os.pathsep.join(path + [env.get('PATH', '')])
    if collections_path:
        env['ANSIBLE_COLLECTIONS_PATH'] = collections_path
        env['ANSIBLE_COLLECTIONS_SCAN_SYS_PATH'] = 'false'
    return env


# ---------------------------------------------------------------------------------------------
# the emulator

class Emulator:
    """Runs tests/emulator's cloudflow_emulator on a random loopback port for a step."""

    def __init__(self, core, env):
        self.core = core
        self.env = dict(env)
        self.process = None
        self.url = None
        self.workdir = None

    def __enter__(self):
        package = os.path.join(REPO, 'tests', 'emulator', 'cloudflow_emulator')
        if not os.path.isdir(package):
            raise StepFailed('the emulator does not exist yet (%s missing)' % os.path.relpath(package, REPO))
        self.workdir = tempfile.mkdtemp(prefix='cloudflow-emulator-')
        url_file = os.path.join(self.workdir, 'url')
        log_path = os.path.join(self.workdir, 'emulator.log')
        self.env['PYTHONPATH'] = os.path.join(REPO, 'tests', 'emulator')
        with open(log_path, 'wb') as log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [self.core.python_bin, '-m', 'cloudflow_emulator', '--port', '0', '--url-file', url_file],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(url_file):
                with open(url_file, encoding='utf-8') as handle:
                    url = handle.read().strip()
                if url:
                    self.url = url
                    say('emulator running at %s (pid %d, log %s)' % (url, self.process.pid, log_path))
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        log_text = self.log()
        self.stop()
        raise StepFailed('the emulator did not start (exit %s); its log:\n%s' % (self.process.returncode, log_text))

    def log(self):
        try:
            with open(os.path.join(self.workdir, 'emulator.log'), encoding='utf-8', errors='replace') as handle:
                return handle.read()
        except OSError:
            return ''

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __exit__(self, *exc_info):
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
        return False


# ---------------------------------------------------------------------------------------------
# steps

def fail_if_all_skipped(output):
    if re.search(r'All targets skipped', output):
        raise StepFailed('ansible-test reported "All targets skipped"')


def step_sanity(core):
    copy = sync_copy(core.version)
    install_get_pip_standin(core)
    env = base_env(core, collections_root(core.version))
    # No --python: the controller runs on the venv's Python and the multi-version tests (compile,
    # import) run on every target Python found through the pythonX.Y links first on PATH; a
    # version the machine lacks is skipped by ansible-test with a warning.
    command = ['ansible-test', 'sanity', '--local', '--color', 'yes']
    if os.environ.get('SANITY_ARGS'):
        command.extend(os.environ['SANITY_ARGS'].split())
    code, output = run_command(command, cwd=copy, env=env)
    fail_if_all_skipped(output)
    tests = re.findall(r"""Running sanity test ["']([^"']+)["']""", output)
    if code != 0:
        raise StepFailed('ansible-test sanity exited %d' % code)
    if not tests:
        raise StepFailed('no sanity test ran')
    return '%d sanity tests' % len(tests)


def pytest_counts(output):
    """(passed, failed + errors) summed over pytest's closing summary lines in the output."""
    passed = failed = 0
    for line in output.splitlines():
        line = line.strip().strip('=').strip()
        if not re.match(r'^\d+ \w+(, \d+ \w+)* in [0-9.]+s( \([0-9:]+\))?$', line):
            continue
        passed += sum(int(number) for number in re.findall(r'\b(\d+) passed\b', line))
        failed += sum(int(number) for number in re.findall(r'\b(\d+) (?:failed|errors?)\b', line))
    return passed, failed


def step_units(core):
    copy = sync_copy(core.version)
    tests = glob.glob(os.path.join(copy, 'tests', 'unit', '**', 'test_*.py'), recursive=True)
    if not tests:
        raise StepFailed('no unit tests found (tests/unit/**/test_*.py)')
    install_get_pip_standin(core)
    env = base_env(core, collections_root(core.version))
    code, output = run_command(['ansible-test', 'units', '--local', '--color', 'yes', '--python', core.python],
                               cwd=copy, env=env)
    fail_if_all_skipped(output)
    passed, failed = pytest_counts(output)
    if code != 0:
        raise StepFailed('ansible-test units exited %d (%d passed, %d failed)' % (code, passed, failed))
    if passed == 0:
        raise StepFailed('no unit test ran')
    return '%d unit tests passed' % passed


def step_integration(core):
    copy = sync_copy(core.version)
    targets_dir = os.path.join(copy, 'tests', 'integration', 'targets')
    targets = sorted(entry for entry in (os.listdir(targets_dir) if os.path.isdir(targets_dir) else [])
                     if os.path.isdir(os.path.join(targets_dir, entry)))
    if not targets:
        raise StepFailed('no integration targets found (tests/integration/targets/ is empty or missing)')
    install_get_pip_standin(core)
    env = base_env(core, collections_root(core.version))
    with Emulator(core, env) as emulator:
        config = os.path.join(copy, 'tests', 'integration', 'integration_config.yml')
        with open(config, 'w', encoding='utf-8') as handle:
            handle.write('---\n')
            handle.write('cloudflow_endpoint: %s\n' % emulator.url)
            handle.write('cloudflow_access_key_id: %s\n' % EMULATOR_ACCESS_KEY_ID)
            handle.write('cloudflow_access_key_secret: %s\n' % EMULATOR_ACCESS_KEY_SECRET)
            handle.write('cloudflow_emulator_url: %s\n' % emulator.url)
            handle.write('cloudflow_region: %s\n' % EMULATOR_REGION)
        command = ['ansible-test', 'integration', '--local', '--color', 'yes', '--python', core.python]
        if os.environ.get('INTEGRATION_ARGS'):
            command.extend(os.environ['INTEGRATION_ARGS'].split())
        code, output = run_command(command, cwd=copy, env=env)
        if code != 0:
            log = emulator.log()
            if log:
                say('--- emulator log (last 40 lines) ---')
                say('\n'.join(log.splitlines()[-40:]))
    fail_if_all_skipped(output)
    ran = re.findall(r'Running (\S+) integration test role', output)
    if code != 0:
        raise StepFailed('ansible-test integration exited %d' % code)
    if not ran:
        raise StepFailed('no integration target ran')
    return '%d integration targets' % len(ran)


def step_ansible_lint(core):
    sync_copy(core.version)
    env = base_env(core, collections_root(core.version))
    env.pop('ANSIBLE_COLLECTIONS_SCAN_SYS_PATH')  # ansible-lint warns when it is off
    check_command([os.path.join(core.bin, 'ansible-lint')], env=env)


def step_docs_lint(core):
    env = base_env(core, collections_root(core.version))
    check_command([os.path.join(core.bin, 'antsibull-docs'), 'lint-collection-docs', '--plugin-docs', '.'], env=env)


def step_changelog_lint(core):
    env = base_env(core)
    check_command([os.path.join(core.bin, 'antsibull-changelog'), 'lint'], env=env)


def run_pytest(core, directory, extra=(), pythonpath=None):
    if not os.path.isdir(os.path.join(REPO, directory)):
        raise StepFailed('%s does not exist yet' % directory)
    env = base_env(core)
    if pythonpath:
        env['PYTHONPATH'] = os.path.join(REPO, pythonpath)
    code, output = run_command([core.python_bin, '-m', 'pytest', directory] + list(extra), env=env)
    if code == 5:
        raise StepFailed('pytest collected no tests in %s' % directory)
    if code != 0:
        raise StepFailed('pytest exited %d' % code)
    passed, _failed = pytest_counts(output)
    if not passed:
        raise StepFailed('no test passed in %s' % directory)
    return '%d passed' % passed


def step_emulator_pytest(core):
    return run_pytest(core, os.path.join('tests', 'emulator', 'tests'), pythonpath=os.path.join('tests', 'emulator'))


def step_reliability_pytest(core, extra=()):
    return run_pytest(core, os.path.join('tests', 'reliability'), extra=extra,
                      pythonpath=os.path.join('tests', 'emulator'))


def module_names():
    modules_dir = os.path.join(REPO, 'plugins', 'modules')
    return sorted(os.path.splitext(os.path.basename(path))[0]
                  for path in glob.glob(os.path.join(modules_dir, '*.py'))
                  if os.path.basename(path) != '__init__.py')


def build_and_install(core, install_root):
    """Build the artifact into build/ from the copy and install it under install_root."""
    copy = sync_copy(core.version)
    env = base_env(core)
    output_dir = os.path.join(REPO, 'build')
    os.makedirs(output_dir, exist_ok=True)
    for old in glob.glob(os.path.join(output_dir, '%s-%s-*.tar.gz' % (NAMESPACE, NAME))):
        os.unlink(old)
    check_command([os.path.join(core.bin, 'ansible-galaxy'), 'collection', 'build', '--force',
                   '--output-path', output_dir, copy], env=env, what='ansible-galaxy collection build')
    artifacts = glob.glob(os.path.join(output_dir, '%s-%s-*.tar.gz' % (NAMESPACE, NAME)))
    if len(artifacts) != 1:
        raise StepFailed('expected one artifact in build/, found %d' % len(artifacts))
    check_command([os.path.join(core.bin, 'ansible-galaxy'), 'collection', 'install', '--force',
                   '-p', install_root, artifacts[0]], env=base_env(core, install_root),
                  what='ansible-galaxy collection install')
    return artifacts[0]


def documentation_loads(core, env, fqcn):
    """True if ansible-doc --json returns DOCUMENTATION for the plugin (not a 'not found')."""
    result = subprocess.run([os.path.join(core.bin, 'ansible-doc'), '-t', 'module', '--json', fqcn], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    try:
        documentation = json.loads(result.stdout)[fqcn]['doc']
    except (ValueError, KeyError, TypeError):
        say('ansible-doc --json %s gave no documentation: %s' % (fqcn, result.stderr.strip()))
        return False
    return result.returncode == 0 and documentation.get('module') == fqcn.rsplit('.', 1)[1]


def step_build(core):
    """Build, install into a temporary path and render every module's docs from the install."""
    modules = module_names()
    install_root = tempfile.mkdtemp(prefix='seed-cloudflow-install-')
    try:
        artifact = build_and_install(core, install_root)
        if not modules:
            raise StepFailed('no modules found in plugins/modules, nothing to render with ansible-doc')
        env = base_env(core, install_root)
        broken = []
        for module in modules:
            fqcn = '%s.%s' % (FQCN, module)
            code, output = run_command([os.path.join(core.bin, 'ansible-doc'), '-t', 'module', fqcn], env=env)
            if code != 0 or fqcn not in output or not documentation_loads(core, env, fqcn):
                broken.append(module)
        if broken:
            raise StepFailed('ansible-doc could not render: %s' % ', '.join(broken))
    finally:
        shutil.rmtree(install_root, ignore_errors=True)
    return '%s; %d modules rendered' % (os.path.relpath(artifact, REPO), len(modules))


# ---------------------------------------------------------------------------------------------
# sub-commands

def selected_cores(results, wanted=None):
    """Set up the venvs of the selected cores; record a skip for a missing interpreter."""
    chosen = []
    wanted = wanted or os.environ.get('SEED_CLOUDFLOW_CORES', '').split()
    for core in CORES:
        if wanted and core.version not in wanted:
            continue
        name = 'venv core-%s (Python %s)' % (core.version, core.python)
        if not find_python(core.python):
            results.record(name, 'skipped', 'no python%s (ansible-core %s not tested)' % (core.python, core.version))
            continue
        if results.run(name, ensure_venv, core):
            chosen.append(core)
    return chosen


def newest(cores):
    return cores[-1] if cores else None


def one_core(results):
    """Set up only the newest core whose Python exists (for demo, build, emulator, ...)."""
    wanted = os.environ.get('SEED_CLOUDFLOW_CORES', '').split()
    for core in reversed(CORES):
        if wanted and core.version not in wanted:
            continue
        if find_python(core.python):
            return newest(selected_cores(results, [core.version]))
        say('skipped: no python%s (ansible-core %s)' % (core.python, core.version))
    results.record('any ansible-core', 'failed', 'no supported Python interpreter found')
    return None


def step_no_sanity_ignores():
    """The project's standard: tests/sanity/ignore-*.txt are absent or hold no entries."""
    entries = []
    for path in sorted(glob.glob(os.path.join(REPO, 'tests', 'sanity', 'ignore-*.txt'))):
        with open(path, encoding='utf-8') as handle:
            for number, line in enumerate(handle, 1):
                if line.strip() and not line.lstrip().startswith('#'):
                    entries.append('%s:%d: %s' % (os.path.relpath(path, REPO), number, line.strip()))
    for entry in entries:
        say(entry)
    if entries:
        raise StepFailed('%d sanity ignore entries; the standard is zero' % len(entries))


def run_lint_steps(results, core):
    results.run('zero lines in tests/sanity/ignore-*.txt', step_no_sanity_ignores)
    results.run('ansible-lint (core %s)' % core.version, step_ansible_lint, core)
    results.run('antsibull-docs lint-collection-docs (core %s)' % core.version, step_docs_lint, core)
    results.run('antsibull-changelog lint (core %s)' % core.version, step_changelog_lint, core)


def command_test(arguments):
    results = Results(arguments.label or 'test')
    steps = arguments.steps
    if any(step in steps for step in ('sanity', 'units', 'integration')):
        cores = selected_cores(results)
        if not cores:
            results.record('any ansible-core', 'failed', 'no supported Python interpreter found')
    else:  # once-only steps need the newest venv only
        cores = [core for core in [one_core(results)] if core]
    last = newest(cores)
    if last and CORES[-1] not in cores and not os.environ.get('SEED_CLOUDFLOW_CORES'):
        say('note: the newest ansible-core cannot run here; once-only checks run on core %s' % last.version)
    if last and 'lint' in steps:
        if last.version != CORES[-1].version:
            results.record('lint tools', 'skipped', 'ansible-lint/antsibull need the core-%s venv' % CORES[-1].version)
        else:
            run_lint_steps(results, last)
    for core in cores:
        if 'sanity' in steps:
            results.run('ansible-test sanity (core %s, controller Python %s)' % (core.version, core.python),
                        step_sanity, core)
        if 'units' in steps:
            results.run('ansible-test units (core %s, Python %s)' % (core.version, core.python), step_units, core)
        if 'integration' in steps:
            results.run('ansible-test integration (core %s, Python %s)' % (core.version, core.python),
                        step_integration, core)
    if last and 'emulator' in steps:
        results.run('emulator pytest tests/emulator/tests (core %s)' % last.version, step_emulator_pytest, last)
    if last and 'reliability' in steps:
        if os.path.isdir(os.path.join(REPO, 'tests', 'reliability')):
            results.run('pytest tests/reliability (core %s)' % last.version, step_reliability_pytest, last)
        else:
            results.record('tests/reliability', 'skipped', 'no tests/reliability directory')
    if last and 'build' in steps:
        results.run('build, install, ansible-doc every module (core %s)' % last.version, step_build, last)
    return results.summary()


def command_emulator(arguments):
    results = Results('emulator')
    core = one_core(results)
    if not core:
        return results.summary()
    package = os.path.join(REPO, 'tests', 'emulator', 'cloudflow_emulator')
    if not os.path.isdir(package):
        say('the emulator does not exist yet (%s missing)' % os.path.relpath(package, REPO))
        return 1
    env = base_env(core)
    env['PYTHONPATH'] = os.path.join(REPO, 'tests', 'emulator')
    command = [core.python_bin, '-m', 'cloudflow_emulator', '--port', str(arguments.port)]
    say('$ PYTHONPATH=tests/emulator ' + ' '.join(command))
    os.chdir(REPO)
    os.execve(command[0], command, env)
    return 0  # not reached


def step_demo(core):
    playbooks = sorted(glob.glob(os.path.join(REPO, 'examples', '*.yml')))
    if not playbooks:
        raise StepFailed('no example playbooks: examples/*.yml does not exist yet')
    collections = os.path.join(REPO, '.cache', 'demo-collections')
    shutil.rmtree(collections, ignore_errors=True)
    build_and_install(core, collections)
    env = base_env(core, collections)
    failed = []
    with Emulator(core, env) as emulator:
        env.update({
            'CLOUDFLOW_ENDPOINT': emulator.url,
            'ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT': emulator.url,
            'ALIBABA_CLOUD_ACCESS_KEY_ID': EMULATOR_ACCESS_KEY_ID,
            'ALIBABA_CLOUD_ACCESS_KEY_SECRET': EMULATOR_ACCESS_KEY_SECRET,
            'ALIBABA_CLOUD_REGION_ID': EMULATOR_REGION,
            # the demo runs on the implicit localhost on purpose (-i localhost, would make Ansible
            # discover a pyenv shim as the interpreter), so silence the warnings about it
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        })
        for playbook in playbooks:
            code, _output = run_command([os.path.join(core.bin, 'ansible-playbook'), os.path.relpath(playbook, REPO),
                                         '-e', 'cloudflow_emulator_url=%s' % emulator.url], env=env)
            if code != 0:
                failed.append(os.path.relpath(playbook, REPO))
    if failed:
        raise StepFailed('failed playbooks: %s' % ', '.join(failed))
    return '%d playbooks' % len(playbooks)


def command_demo(_arguments):
    results = Results('demo')
    core = one_core(results)
    if core:
        results.run('demo: examples/*.yml against the emulator (core %s)' % core.version, step_demo, core)
    return results.summary()


def command_build(_arguments):
    results = Results('build')
    core = one_core(results)
    if core:
        results.run('build, install, ansible-doc every module (core %s)' % core.version, step_build, core)
    return results.summary()


def command_bench(arguments):
    script = os.path.join(REPO, 'bench', 'run.py')
    if not os.path.exists(script):
        say('no benchmarks yet (bench/run.py does not exist)')
        return 0
    results = Results('bench')
    core = one_core(results)
    if not core:
        return results.summary()
    env = base_env(core)
    env['PYTHONPATH'] = os.path.join(REPO, 'tests', 'emulator')
    return subprocess.call([core.python_bin, script] + arguments.rest, cwd=REPO, env=env)


def command_soak(_arguments):
    if not os.path.isdir(os.path.join(REPO, 'tests', 'reliability')):
        say('no soak tests yet (tests/reliability does not exist)')
        return 0
    results = Results('soak')
    core = one_core(results)
    if core:
        results.run('soak: pytest tests/reliability --soak (core %s)' % core.version,
                    step_reliability_pytest, core, ['--soak'])
    return results.summary()


def command_venv(_arguments):
    results = Results('venv')
    selected_cores(results)
    return results.summary()


ALL_STEPS = ('lint', 'sanity', 'units', 'integration', 'emulator', 'reliability', 'build')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    sub = parser.add_subparsers(dest='command', required=True)
    test = sub.add_parser('test', help='run checks; all of them unless --steps says otherwise')
    test.add_argument('--steps', nargs='+', choices=ALL_STEPS, default=list(ALL_STEPS))
    test.add_argument('--label', help='word before the summary counts (default: test)')
    test.set_defaults(function=command_test)
    emulator = sub.add_parser('emulator', help='run the emulator in the foreground')
    emulator.add_argument('--port', type=int, default=0)
    emulator.set_defaults(function=command_emulator)
    sub.add_parser('demo', help='run examples/*.yml against the emulator').set_defaults(function=command_demo)
    sub.add_parser('build', help='build, install and ansible-doc the collection').set_defaults(function=command_build)
    sub.add_parser('bench', help='run bench/run.py if it exists; other arguments go to it').set_defaults(
        function=command_bench)
    sub.add_parser('soak', help='run tests/reliability with --soak').set_defaults(function=command_soak)
    sub.add_parser('venv', help='create or refresh the development venvs').set_defaults(function=command_venv)
    arguments, rest = parser.parse_known_args()
    if rest and arguments.function is not command_bench:
        parser.error('unrecognized arguments: %s' % ' '.join(rest))
    arguments.rest = rest
    sys.exit(arguments.function(arguments))


if __name__ == '__main__':
    main()
