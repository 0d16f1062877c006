# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What noxfile.py's sessions run in their venvs, and the summary that the Makefile prints.

``KIND [--path DIR] [--collections DIR] -- COMMAND...`` runs COMMAND (KIND: sanity, units or integration
for ansible-test, pytest, demo) in the emulator package's loopback_environment and fails on silent passes.
``summary REPORT [--label L]`` prints the closing line, ``L: N passed, N failed[, N skipped]``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ANSIBLE_TEST_HOME = Path.home() / '.ansible' / 'test'
# The scrubber is standard library; the sessions that start the emulator have the package installed.
sys.path.append(str(REPO / 'tests' / 'emulator'))
import cloudflow_emulator  # noqa: E402  pylint: disable=wrong-import-position

# pytest's closing line, e.g. "===== 151 passed, 2 skipped, 3 warnings in 12.34s (0:00:12) ====="
PYTEST_SUMMARY = re.compile(r'^=*\s*\d+ \w+(, \d+ \w+)* in [0-9.]+s( \([0-9:]+\))?\s*=*$')
# What the other kinds print per thing tested, and what that is.
TESTED = {'sanity': (r'Running sanity test ', 'sanity tests'), 'integration': (r'Running \S+ integration test role', 'targets'),
          'demo': (r'(?m)^PLAY \[', 'plays')}
# The demo's environment: the emulator settings (integration_config.yml's keys) as the modules read them.
MODULE_ENVIRONMENT = {'cloudflow_endpoint': 'ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT', 'cloudflow_emulator_url': 'CLOUDFLOW_EMULATOR_URL',
                      'cloudflow_region': 'ALIBABA_CLOUD_REGION_ID', 'cloudflow_access_key_id': 'ALIBABA_CLOUD_ACCESS_KEY_ID',
                      'cloudflow_access_key_secret': 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'}


@contextlib.contextmanager
def lock(name: str):  # type: ignore[no-untyped-def]
    """Hold ~/.ansible/test/.seed-cloudflow-NAME.lock (one holder at a time; it waits for the others)."""
    print('taking the %s lock (one at a time among the sessions of this user)' % name, flush=True)
    with open(ANSIBLE_TEST_HOME / ('.seed-cloudflow-%s.lock' % name), 'w', encoding='utf-8') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def place_get_pip_standin() -> None:
    """ansible-test fetches get-pip from a host this machine cannot reach, unless cache/get_pip_<version>.py
    exists; the version is read from the ansible-test that runs, so a new core needs no edit here."""
    import ansible_test  # pylint: disable=import-outside-toplevel

    source = Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py'
    versions = set(re.findall(r'''\bpip\s*=\s*['"](\d+(?:\.\d+)+)['"]''', source.read_text(encoding='utf-8')))
    if not versions:
        raise SystemExit('found no get-pip version in %s' % source)
    (ANSIBLE_TEST_HOME / 'cache').mkdir(parents=True, exist_ok=True)
    for version in versions:
        partial = ANSIBLE_TEST_HOME / 'cache' / ('.get_pip.%d' % os.getpid())  # written aside, renamed: never half read
        shutil.copyfile(REPO / 'hacking' / 'get_pip_standin.py', partial)
        partial.replace(ANSIBLE_TEST_HOME / 'cache' / ('get_pip_%s.py' % version.replace('.', '_')))


def make_ssh_key() -> None:
    """Integration makes ~/.ansible/test/id_rsa when it is missing; two runs starting together on an
    empty HOME both run ssh-keygen, and the second one stops at its overwrite prompt."""
    key = ANSIBLE_TEST_HOME / 'id_rsa'
    with lock('ssh-key'):
        if not key.is_file():
            subprocess.run(['ssh-keygen', '-m', 'PEM', '-q', '-t', 'rsa', '-N', '', '-f', str(key)], check=True, stdin=subprocess.DEVNULL)
            # ansible-test's own header rewrite (paramiko reads only this form)
            key.write_text(re.sub(r'(BEGIN|END) PRIVATE KEY', r'\1 RSA PRIVATE KEY', key.read_text(encoding='utf-8')), encoding='utf-8')


def run(arguments: argparse.Namespace) -> int:
    kind, command = arguments.kind, arguments.arguments
    env = cloudflow_emulator.loopback_environment(scrub=kind in ('pytest', 'demo'), collections_path=arguments.collections,
                                                  path_prepend=[Path(sys.executable).parent, *arguments.path])
    with contextlib.ExitStack() as stack:
        emulator = None
        if kind in ('sanity', 'units', 'integration'):
            place_get_pip_standin()
        if kind == 'integration':
            make_ssh_key()
        if kind == 'sanity':
            # Sanity keeps its venvs in ~/.ansible/test/venv and deletes one it finds half made, even one
            # another run is still filling: two sanity runs take turns, beside anything else.
            stack.enter_context(lock('sanity'))
        if kind in ('integration', 'demo'):
            emulator = stack.enter_context(cloudflow_emulator.EmulatorProcess(port=0))
            settings = {'cloudflow_endpoint': emulator.url, 'cloudflow_emulator_url': emulator.url, 'cloudflow_region': cloudflow_emulator.DEFAULT_REGION,
                        'cloudflow_access_key_id': cloudflow_emulator.DEFAULT_ACCESS_KEY_ID,
                        'cloudflow_access_key_secret': cloudflow_emulator.DEFAULT_ACCESS_KEY_SECRET}
            print('emulator running at %s (log %s)' % (emulator.url, emulator.log_path), flush=True)
        if kind == 'integration':
            Path('tests/integration/integration_config.yml').write_text(json.dumps(settings, indent=1), encoding='utf-8')
        if kind == 'demo':  # the playbooks get the emulator's address; the modules read the environment
            command = command + ['-e', 'cloudflow_emulator_url=' + emulator.url]
            env.update({MODULE_ENVIRONMENT[name]: value for name, value in settings.items()},
                       ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')  # localhost on purpose
        print('$ ' + ' '.join(command), flush=True)
        lines = []
        with subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors='replace', bufsize=1) as process:
            for line in process.stdout or ():
                sys.stdout.write(line)
                sys.stdout.flush()
                lines.append(line)
        if process.returncode and emulator:
            print('--- emulator log (last 40 lines) ---\n' + '\n'.join(emulator.log_text().splitlines()[-40:]), flush=True)
    return verdict(kind, command, process.returncode, re.sub(r'\x1b\[[0-9;]*[A-Za-z]', '', ''.join(lines)))


def verdict(kind: str, command: list[str], code: int, output: str) -> int:
    """Fail on a failure, and on the silent passes (the output is without colours)."""
    if kind in TESTED:
        tested = len(re.findall(TESTED[kind][0], output))
    else:  # units and pytest: the tests passed, from pytest's closing lines
        tested = sum(int(count) for line in output.splitlines() if PYTEST_SUMMARY.match(line.strip()) for count in re.findall(r'\b(\d+) passed\b', line))
    if 'All targets skipped' in output:
        problem = '"All targets skipped"'
    elif kind == 'pytest' and code == 5:
        problem = 'pytest collected no tests'
    elif code:
        problem = '%s exited %d' % (command[0], code)
    elif not tested:
        problem = '%s ran nothing' % ' '.join(command[:2])
    else:
        print('%s: %d %s' % (kind, tested, TESTED[kind][1] if kind in TESTED else 'tests passed'), flush=True)
        return 0
    print('FAILED: ' + problem, flush=True)
    return 1


def summary(arguments: argparse.Namespace) -> int:
    """The closing lines; nox has listed every session's outcome above them."""
    sessions = json.loads(Path(arguments.arguments[0]).read_text(encoding='utf-8'))['sessions']
    results = [session['result'] for session in sessions]
    passed, skipped = results.count('success'), results.count('skipped')
    failed = len(results) - passed - skipped  # failed or aborted
    untested = dict.fromkeys(session['reason'] for session in sessions if session['result'] == 'skipped' and session.get('reason'))
    if untested:
        print('not tested here: ' + '; '.join(untested))
    print('%s: %d passed, %d failed%s' % (arguments.label, passed, failed, ', %d skipped' % skipped if skipped else ''))
    return 1 if failed or not passed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or '').split('\n', 1)[0])
    parser.add_argument('kind', choices=('sanity', 'units', 'integration', 'pytest', 'demo', 'summary'))
    parser.add_argument('--path', action='append', default=[], help='a directory to put first on PATH')
    parser.add_argument('--collections', help='ANSIBLE_COLLECTIONS_PATH')
    parser.add_argument('--label', default='test', help="the summary's closing label")
    parser.add_argument('arguments', nargs='+', help='the command (summary: the report)')
    arguments = parser.parse_args()
    return summary(arguments) if arguments.kind == 'summary' else run(arguments)


if __name__ == '__main__':
    sys.exit(main())
