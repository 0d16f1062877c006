# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What no standard tool does for this collection's tests; noxfile.py drives everything else.

Imported by noxfile.py (standard library only at import time), it knows the supported ansible-core
lines and finds the Pythons this machine really has. Run as a script inside a nox session's venv,
it does the parts that ansible-test and pytest leave to the project:

- ``ansible-test KIND CORE [ARGS]``: copy the collection to ``.../ansible_collections/seed/cloudflow``
  outside any git work tree, put the offline get-pip stand-in where ansible-test looks, start the
  emulator for integration, run ansible-test and fail on the silent passes ("All targets skipped",
  nothing ran).
- ``pytest DIRECTORY [ARGS]``: pytest, failing on "no tests collected" (exit 5) and on zero passed.
- ``playbooks --collections PATH PLAYBOOK...``: the demo, every playbook in order against one emulator.
- ``summary REPORT``: the closing ``test: N passed, N failed`` line from nox's JSON report.
- ``cache-dir``: this checkout's cache directory (``make clean`` removes it and nothing else).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HACKING = REPO / 'hacking'
NAMESPACE = 'seed'
NAME = 'cloudflow'
FQCN = NAMESPACE + '.' + NAME

# Pythons that get a pythonX.Y link first on ansible-test's PATH: sanity's compile and import tests
# run on each one present (module code must work on 3.8+); the pyenv shims would exit 127.
LINKED_PYTHONS = ('3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14')


@dataclasses.dataclass(frozen=True)
class Core:
    """One supported ansible-core line.

    requires_python is the Requires-Python of the pinned release; every session that installs the
    release compares it with the installed metadata and fails when they differ (check_requires_python).
    newest_python is the newest Python its controller supports, which the metadata does not say.
    """

    version: str
    requires_python: str
    newest_python: str

    @property
    def requirements(self) -> Path:
        return HACKING / ('requirements-core-%s.txt' % self.version)

    def accepts(self, python: str) -> bool:
        minimum = self.requires_python.lstrip('>=').strip()
        return version_tuple(minimum) <= version_tuple(python) <= version_tuple(self.newest_python)


# Oldest first. `make test` runs the oldest and the newest that this machine can run.
CORES = (
    Core('2.18', '>=3.11', '3.13'),
    Core('2.19', '>=3.11', '3.13'),
    Core('2.21', '>=3.12', '3.14'),
)
CORE_BY_VERSION = {core.version: core for core in CORES}


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r'\d+', text))


def say(message: str = '') -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------
# interpreters

def _probe(candidate: str) -> str | None:
    """'X.Y' if the candidate runs and has venv and ensurepip (pyenv shims exit 127), else None."""
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


def _candidates(version: str) -> list[str]:
    override = os.environ.get('SEED_CLOUDFLOW_PYTHON' + version.replace('.', '_'))
    candidates = [override] if override else []
    for root in dict.fromkeys([os.environ.get('PYENV_ROOT', ''), os.path.expanduser('~/.pyenv')]):
        if root:
            found = glob.glob(os.path.join(root, 'versions', version + '.*', 'bin', 'python' + version))
            candidates.extend(sorted(found, key=lambda path: version_tuple(path.split('/versions/')[1]), reverse=True))
    candidates.extend(os.path.join(directory, 'python' + version) for directory in ('/usr/local/bin', '/usr/bin'))
    on_path = shutil.which('python' + version)
    if on_path:
        candidates.append(on_path)
    return [candidate for candidate in candidates if os.path.isfile(candidate) and os.access(candidate, os.X_OK)]


_PYTHONS: dict[str, str] | None = None


def pythons() -> dict[str, str]:
    """{'X.Y': path} of every working interpreter 3.8 to 3.14 on this machine (each one was run)."""
    global _PYTHONS  # pylint: disable=global-statement
    if _PYTHONS is None:
        _PYTHONS = {}
        for version in LINKED_PYTHONS:
            for candidate in _candidates(version):
                if _probe(candidate) == version:
                    _PYTHONS[version] = candidate
                    break
    return _PYTHONS


def python_for(core: Core) -> str | None:
    """The interpreter a core's sessions use: for the oldest core the oldest Python it supports (the
    combination users of old releases have), for the others the newest; None if there is none."""
    usable = sorted((version for version in pythons() if core.accepts(version)), key=version_tuple)
    if not usable:
        return None
    return pythons()[usable[0] if core is CORES[0] else usable[-1]]


def python_version_of(path: str) -> str:
    return next(version for version, found in pythons().items() if found == path)


def test_matrix() -> tuple[list[Core], list[str]]:
    """(cores `make test` runs, one note per supported core it cannot test here).

    The oldest core and the newest one this machine can run: 2.18 + 2.21 where Python >= 3.12
    exists, 2.18 + 2.19 where the only Python is 3.11.
    """
    runnable = [core for core in CORES if python_for(core)]
    chosen = runnable[:1] + [core for core in runnable[-1:] if core is not runnable[0]] if runnable else []
    present = ', '.join(sorted(pythons(), key=version_tuple)) or 'none of 3.8 to 3.14'
    notes = []
    for core in CORES:
        if core is CORES[0] or core is CORES[-1]:
            if not python_for(core):
                notes.append('ansible-core %s (needs Python %s, at most %s; this machine has %s)' % (
                    core.version, core.requires_python, core.newest_python, present))
    return chosen, notes


# ---------------------------------------------------------------------------------------------
# the copy of the collection that ansible-test works on

def cache_root() -> Path:
    """This checkout's cache directory (one per checkout, so two clones never share a copy)."""
    base = os.environ.get('SEED_CLOUDFLOW_CACHE')
    if not base:
        base = os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'seed-cloudflow')
    key = '%s-%s' % (REPO.name, hashlib.sha1(str(REPO).encode()).hexdigest()[:10])
    return Path(base) / key


def inside_git_work_tree(path: Path) -> bool:
    result = subprocess.run(['git', '-C', str(path), 'rev-parse', '--is-inside-work-tree'],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False)
    return result.returncode == 0 and result.stdout.strip() == 'true'


def repo_files() -> set[str]:
    """Tracked and untracked-but-not-ignored files (what git would see), uncommitted edits included."""
    listed = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                            cwd=REPO, stdout=subprocess.PIPE, check=True).stdout
    names = listed.decode('utf-8', 'surrogateescape').split('\0')
    return {name for name in names if name and os.path.lexists(REPO / name) and not (REPO / name).is_dir()}


def collections_root(label: str) -> Path:
    return cache_root() / label


def sync_copy(label: str) -> Path:
    """Refresh .../<label>/ansible_collections/seed/cloudflow from the work tree and return it.

    ansible-test resolves a symlink to the repository and then rejects it, and inside any git work
    tree it lists the outer repository's files, says "All targets skipped" and exits 0; so this is
    a real copy outside every work tree. Stale files and the old tests/output are removed.
    """
    destination = collections_root(label) / 'ansible_collections' / NAMESPACE / NAME
    destination.mkdir(parents=True, exist_ok=True)
    if inside_git_work_tree(destination):
        raise SystemExit('%s is inside a git work tree; ansible-test would skip every target there. '
                         'Set SEED_CLOUDFLOW_CACHE to a directory outside any git checkout.' % destination)
    wanted = repo_files()
    shutil.rmtree(destination / 'tests' / 'output', ignore_errors=True)
    for directory, directories, files in os.walk(destination, topdown=False):
        for name in files + [entry for entry in directories if os.path.islink(os.path.join(directory, entry))]:
            path = os.path.join(directory, name)
            if os.path.relpath(path, destination) not in wanted:
                os.unlink(path)
        if directory != str(destination) and not os.listdir(directory):
            os.rmdir(directory)
    refreshed = 0
    for name in sorted(wanted):
        source, target = REPO / name, destination / name
        if source.is_symlink():
            link = os.readlink(source)
            if not target.is_symlink() or os.readlink(target) != link:
                if os.path.lexists(target):
                    target.unlink()
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(link)
                refreshed += 1
            continue
        source_stat = source.stat()
        try:
            target_stat = target.lstat()
            same = (target_stat.st_size == source_stat.st_size and target_stat.st_mtime_ns == source_stat.st_mtime_ns
                    and target_stat.st_mode == source_stat.st_mode and not target.is_symlink())
        except FileNotFoundError:
            same = False
        if not same:
            if os.path.lexists(target):
                target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            refreshed += 1
    say('collection copy %s: %d files, %d refreshed' % (destination, len(wanted), refreshed))
    return destination


def python_links_dir() -> Path:
    """A directory of pythonX.Y links to the real interpreters, for ansible-test's PATH."""
    directory = cache_root() / 'pythons'
    directory.mkdir(parents=True, exist_ok=True)
    for version in LINKED_PYTHONS:
        link = directory / ('python' + version)
        interpreter = pythons().get(version)
        if link.is_symlink() and (not interpreter or os.readlink(link) != interpreter):
            link.unlink()
        if interpreter and not link.is_symlink():
            link.symlink_to(interpreter)
    return directory


def install_get_pip_standin() -> None:
    """Put the offline get-pip stand-in where the running ansible-test looks before downloading.

    The pip version(s) come from ansible-test's own source, so a new ansible-core needs no edit here.
    """
    import ansible_test  # pylint: disable=import-outside-toplevel

    source = Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py'
    text = source.read_text(encoding='utf-8')
    versions = set(re.findall(r'''\bpip\s*=\s*['"](\d+(?:\.\d+)+)['"]''', text))
    versions.update(re.findall(r'''['"]pip['"]\s*:\s*['"](\d+(?:\.\d+)+)['"]''', text))
    if not versions:
        raise SystemExit('could not find the get-pip version in %s' % source)
    cache = Path.home() / '.ansible' / 'test' / 'cache'
    cache.mkdir(parents=True, exist_ok=True)
    content = (HACKING / 'get_pip_standin.py').read_text(encoding='utf-8')
    for version in sorted(versions):
        path = cache / ('get_pip_%s.py' % version.replace('.', '_'))
        if not path.exists() or path.read_text(encoding='utf-8') != content:
            # written aside and renamed, so that a session running at the same time never reads half a file
            partial = path.with_name('%s.%d.tmp' % (path.name, os.getpid()))
            partial.write_text(content, encoding='utf-8')
            partial.replace(path)
            say('wrote get-pip %s stand-in: %s' % (version, path))


@contextlib.contextmanager
def ansible_test_lock(name: str) -> t.Iterator[None]:
    """Hold an exclusive lock on something every ansible-test run of this user shares (~/.ansible/test)."""
    import fcntl  # pylint: disable=import-outside-toplevel

    directory = Path.home() / '.ansible' / 'test'
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ('.seed-cloudflow-%s.lock' % name), 'w', encoding='utf-8') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say('waiting for the %s lock (%s), held by a session running beside this one' % (name, lock.name))
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_ansible_test_ssh_key() -> None:
    """Create ansible-test's per-user SSH key pair once, before sessions that run side by side need it.

    Every ansible-test integration run makes ~/.ansible/test/id_rsa if it is missing; two runs that
    start together on an empty HOME both call ssh-keygen, and the second one stops at its
    "Overwrite (y/n)?" prompt and fails. Made here under a lock, the key exists before either starts.
    """
    directory = Path.home() / '.ansible' / 'test'
    key, pub = directory / 'id_rsa', directory / 'id_rsa.pub'
    with ansible_test_lock('ssh-key'):
        if key.is_file() and pub.is_file():
            return
        scratch = Path(tempfile.mkdtemp(dir=directory, prefix='.ssh-key-'))
        try:
            subprocess.run(['ssh-keygen', '-m', 'PEM', '-q', '-t', 'rsa', '-N', '', '-f', str(scratch / 'id_rsa')],
                           check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            # the header rewrite ansible-test applies to the keys it makes (paramiko reads only this form)
            text = (scratch / 'id_rsa').read_text(encoding='utf-8')
            (scratch / 'id_rsa').write_text(re.sub(r'(BEGIN|END) PRIVATE KEY', r'\1 RSA PRIVATE KEY', text), encoding='utf-8')
            (scratch / 'id_rsa.pub').replace(pub)
            (scratch / 'id_rsa').replace(key)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    say('made the ansible-test SSH key pair: %s' % key)


def loopback_env(collections_path: Path | None = None) -> dict[str, str]:
    """The current environment, limited to loopback traffic, optionally with a collections path."""
    env = dict(os.environ)
    env['ALIBABA_CLOUD_ECS_METADATA_DISABLED'] = 'true'
    no_proxy = [item for item in env.get('NO_PROXY', '').split(',') if item]
    env['NO_PROXY'] = env['no_proxy'] = ','.join(no_proxy + ['127.0.0.1', 'localhost', '::1'])
    env['PIP_DISABLE_PIP_VERSION_CHECK'] = '1'
    env.pop('PYTHONPATH', None)
    env['PATH'] = os.pathsep.join([os.path.dirname(sys.executable), str(python_links_dir()), env.get('PATH', '')])
    if collections_path:
        env['ANSIBLE_COLLECTIONS_PATH'] = str(collections_path)
        env['ANSIBLE_COLLECTIONS_SCAN_SYS_PATH'] = 'false'
    return env


# ---------------------------------------------------------------------------------------------
# running commands

ANSI_ESCAPE = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')


def tee(command: t.Sequence[str], cwd: Path, env: t.Mapping[str, str]) -> tuple[int, str]:
    """Run a command, echo its output as it comes, return (exit code, output without colour)."""
    say('$ ' + ' '.join(command))
    with subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True, errors='replace', bufsize=1) as process:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line)
        code = process.wait()
    return code, ANSI_ESCAPE.sub('', ''.join(lines))


def pytest_counts(output: str) -> tuple[int, int]:
    """(passed, failed + errors) summed over pytest's closing summary lines in the output."""
    passed = failed = 0
    for line in output.splitlines():
        line = line.strip().strip('=').strip()
        if not re.match(r'^\d+ \w+(, \d+ \w+)* in [0-9.]+s( \([0-9:]+\))?$', line):
            continue
        passed += sum(int(number) for number in re.findall(r'\b(\d+) passed\b', line))
        failed += sum(int(number) for number in re.findall(r'\b(\d+) (?:failed|errors?)\b', line))
    return passed, failed


class Emulator:
    """The emulator, started through its package (installed into the session venv)."""

    def __init__(self, log_path: Path) -> None:
        from cloudflow_emulator import EmulatorProcess  # pylint: disable=import-outside-toplevel

        self.process = EmulatorProcess(port=0, log_path=log_path)
        self.url = ''

    def __enter__(self) -> Emulator:
        self.process.__enter__()
        self.url = self.process.url
        say('emulator running at %s (log %s)' % (self.url, self.process.log_path))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.process.__exit__(None, None, None)

    def log_tail(self, lines: int = 40) -> str:
        return '\n'.join(self.process.log_text().splitlines()[-lines:])

    def variables(self) -> dict[str, str]:
        """The integration_config.yml keys (as the integration targets read them)."""
        import cloudflow_emulator  # pylint: disable=import-outside-toplevel

        return {
            'cloudflow_endpoint': self.url,
            'cloudflow_access_key_id': cloudflow_emulator.DEFAULT_ACCESS_KEY_ID,
            'cloudflow_access_key_secret': cloudflow_emulator.DEFAULT_ACCESS_KEY_SECRET,
            'cloudflow_emulator_url': self.url,
            'cloudflow_region': cloudflow_emulator.DEFAULT_REGION,
        }

    def environment(self) -> dict[str, str]:
        """The same as the environment variables the modules read (for playbooks outside ansible-test)."""
        variables = self.variables()
        return {
            'ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT': self.url,
            'ALIBABA_CLOUD_ACCESS_KEY_ID': variables['cloudflow_access_key_id'],
            'ALIBABA_CLOUD_ACCESS_KEY_SECRET': variables['cloudflow_access_key_secret'],
            'ALIBABA_CLOUD_REGION_ID': variables['cloudflow_region'],
            'CLOUDFLOW_EMULATOR_URL': self.url,
        }


def fail(message: str) -> t.NoReturn:
    say('FAILED: ' + message)
    raise SystemExit(1)


def command_ansible_test(arguments: argparse.Namespace) -> int:
    """ansible-test sanity|units|integration on a fresh copy, with the silent passes made failures."""
    core = CORE_BY_VERSION[arguments.core]
    kind = arguments.kind
    # one copy per session, so that sessions running at the same time never delete each other's files
    label = '%s-%s' % (kind, core.version)
    copy = sync_copy(label)
    env = loopback_env(collections_root(label))
    install_get_pip_standin()
    ensure_ansible_test_ssh_key()
    command = ['ansible-test', kind, '--local', '--color', 'yes']
    # sanity: no --python, so the controller runs on the venv's Python and compile/import run on
    # every pythonX.Y on PATH; the other kinds run on the session's Python.
    if kind != 'sanity':
        command += ['--python', '%d.%d' % sys.version_info[:2]]
    command += arguments.rest
    if kind == 'units' and not glob.glob(str(copy / 'tests' / 'unit' / '**' / 'test_*.py'), recursive=True):
        fail('no unit tests found (tests/unit/**/test_*.py)')
    if kind == 'integration':
        targets = copy / 'tests' / 'integration' / 'targets'
        if not targets.is_dir() or not any(entry.is_dir() for entry in targets.iterdir()):
            fail('no integration targets found (tests/integration/targets/ is empty or missing)')
        with tempfile.TemporaryDirectory(prefix='seed-cloudflow-emulator-') as workdir:
            with Emulator(Path(workdir) / 'emulator.log') as emulator:
                config = copy / 'tests' / 'integration' / 'integration_config.yml'
                config.write_text('---\n' + ''.join('%s: %s\n' % item for item in emulator.variables().items()),
                                  encoding='utf-8')
                code, output = tee(command, copy, env)
                if code != 0:
                    say('--- emulator log (last 40 lines) ---\n' + emulator.log_tail())
    elif kind == 'sanity':
        # Sanity keeps its venvs in ~/.ansible/test/venv, and tests without requirements of their own
        # share one; a run that finds a venv without its marker deletes it, even one another run is
        # still filling. So two sanity runs take turns, while each may run beside any other session.
        with ansible_test_lock('sanity'):
            code, output = tee(command, copy, env)
    else:
        code, output = tee(command, copy, env)
    if 'All targets skipped' in output:
        fail('ansible-test reported "All targets skipped"')
    if code != 0:
        fail('ansible-test %s exited %d' % (kind, code))
    if kind == 'sanity':
        ran = len(re.findall(r"""Running sanity test ["']([^"']+)["']""", output))
        what = 'sanity tests'
    elif kind == 'units':
        ran = pytest_counts(output)[0]
        what = 'unit tests passed'
    else:
        ran = len(re.findall(r'Running (\S+) integration test role', output))
        what = 'integration targets'
    if not ran:
        fail('ansible-test %s ran nothing' % kind)
    say('ansible-test %s (core %s, Python %d.%d): %d %s' % (kind, core.version, *sys.version_info[:2], ran, what))
    return 0


def command_pytest(arguments: argparse.Namespace) -> int:
    directory = REPO / arguments.directory
    if not directory.is_dir():
        fail('%s does not exist' % arguments.directory)
    code, output = tee([sys.executable, '-m', 'pytest', str(directory)] + arguments.rest, REPO, loopback_env())
    if code == 5:
        fail('pytest collected no tests in %s' % arguments.directory)
    if code != 0:
        fail('pytest exited %d' % code)
    if not pytest_counts(output)[0]:
        fail('no test passed in %s' % arguments.directory)
    return 0


def command_playbooks(arguments: argparse.Namespace) -> int:
    """Run playbooks in order against one emulator (the demo: the first one seeds what the others use)."""
    failed = []
    with tempfile.TemporaryDirectory(prefix='seed-cloudflow-emulator-') as workdir:
        with Emulator(Path(workdir) / 'emulator.log') as emulator:
            env = loopback_env(Path(arguments.collections))
            env.update(emulator.environment())
            # the implicit localhost on purpose (-i localhost, would make Ansible discover a pyenv
            # shim as the interpreter), so the warnings about it are silenced
            env.update({'ANSIBLE_LOCALHOST_WARNING': 'false', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false'})
            for playbook in arguments.playbooks:
                code, _output = tee(['ansible-playbook', playbook, '-e', 'cloudflow_emulator_url=' + emulator.url],
                                    REPO, env)
                if code != 0:
                    failed.append(playbook)
            if failed:
                say('--- emulator log (last 40 lines) ---\n' + emulator.log_tail())
    if failed:
        fail('failed playbooks: ' + ', '.join(failed))
    say('%d playbooks ran' % len(arguments.playbooks))
    return 0


def command_summary(arguments: argparse.Namespace) -> int:
    """Print every session's outcome and the closing line; exit 1 if any failed or none passed."""
    report = json.loads(Path(arguments.report).read_text(encoding='utf-8'))
    counts = {'success': 0, 'failed': 0, 'skipped': 0}
    say('')
    say('summary')
    for session in report['sessions']:
        result = session['result']
        counts['failed' if result not in counts else result] += 1
        duration = session.get('duration')
        parts = [session.get('reason') or '', '%.0fs' % duration if duration else '']
        detail = ', '.join(part for part in parts if part)
        say('  %-8s %s%s' % ({'success': 'PASSED'}.get(result, result.upper()), session['name'],
                             '  [%s]' % detail if detail else ''))
    _chosen, notes = test_matrix()
    if notes and arguments.matrix:
        say('not tested here: ' + '; '.join(notes))
    skipped = counts['skipped'] + (len(notes) if arguments.matrix else 0)
    line = '%s: %d passed, %d failed' % (arguments.label, counts['success'], counts['failed'])
    if skipped:
        line += ', %d skipped' % skipped
    say(line)
    return 1 if counts['failed'] or not counts['success'] else 0


def command_cache_dir(_arguments: argparse.Namespace) -> int:
    say(str(cache_root()))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or '').split('\n', 1)[0])
    sub = parser.add_subparsers(dest='command', required=True)
    ansible_test = sub.add_parser('ansible-test', help='ansible-test on a copy, silent passes fail')
    ansible_test.add_argument('kind', choices=('sanity', 'units', 'integration'))
    ansible_test.add_argument('core', choices=sorted(CORE_BY_VERSION))
    ansible_test.set_defaults(function=command_ansible_test)
    pytest = sub.add_parser('pytest', help='pytest DIRECTORY; no test collected or none passed fails')
    pytest.add_argument('directory')
    pytest.set_defaults(function=command_pytest)
    playbooks = sub.add_parser('playbooks', help='run playbooks in order against one emulator')
    playbooks.add_argument('--collections', required=True, help='ANSIBLE_COLLECTIONS_PATH for the playbooks')
    playbooks.add_argument('playbooks', nargs='+')
    playbooks.set_defaults(function=command_playbooks)
    summary = sub.add_parser('summary', help='the closing line from a nox --report file')
    summary.add_argument('report')
    summary.add_argument('--label', default='test')
    summary.add_argument('--matrix', action='store_true', help='also say which supported cores were not tested')
    summary.set_defaults(function=command_summary)
    sub.add_parser('cache-dir', help="this checkout's cache directory").set_defaults(function=command_cache_dir)
    arguments, rest = parser.parse_known_args()
    arguments.rest = rest
    sys.exit(arguments.function(arguments))


if __name__ == '__main__':
    main()
