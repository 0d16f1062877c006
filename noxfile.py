# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks of seed.cloudflow as nox sessions (docs/developing.md). `nox -l` lists them.

`make test` runs the default set: lint, the antsibull-nox checks, sanity/units/integration/
reliability on the oldest ansible-core and on the newest one this machine has a Python for, the
emulator's own tests, the build and the execution-environment checks (ee). hacking/toolchain.py does what no tool does (the collection
copy outside git, the get-pip stand-in, the emulator, the silent-pass guards, the summary).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).resolve().parent / 'hacking'))
import toolchain  # noqa: E402  pylint: disable=wrong-import-position

try:
    import antsibull_nox
except ImportError:  # a bare `nox` without antsibull-nox still runs this project's own sessions
    antsibull_nox = None

REPO = toolchain.REPO
HELPER = str(REPO / 'hacking' / 'toolchain.py')
HACKING = REPO / 'hacking'
EMULATOR_PACKAGE = str(REPO / 'tests' / 'emulator')

# uv makes and fills venvs several times faster than venv + pip (hacking/requirements-nox.txt);
# with plain `nox` and no uv installed, nox falls back to venv.
nox.options.default_venv_backend = 'uv|venv'
# uv trusts the system's certificate store, as pip does here (pip.conf names the system bundle), not
# only its own built-in roots; without this it cannot reach the package index where TLS is
# intercepted by a local certificate authority.
os.environ.setdefault('UV_NATIVE_TLS', 'true')
# Some shells set PYTHONDONTWRITEBYTECODE, and uv installs no bytecode: then every ansible-playbook,
# ansible-doc, pytest and module process of a session compiles ansible-core, httpx and the rest from
# source again (the emulator's suite took 49 s that way, 33 s with a cache). The sessions write
# bytecode, but only under this checkout's cache directory, never beside the sources.
os.environ.pop('PYTHONDONTWRITEBYTECODE', None)
os.environ.setdefault('PYTHONPYCACHEPREFIX', str(toolchain.cache_root() / 'pycache'))
nox.options.download_python = 'never'  # only interpreters this machine has (no downloads here)
nox.options.reuse_venv = 'yes'  # the installer still runs every time, so the pins stay applied
nox.options.error_on_missing_interpreters = True  # python= only ever names an interpreter that was run
# Under `nox --parallel N` (make test uses 2) every session may run beside another; two sanity
# sessions take turns on a lock (hacking/toolchain.py), as they share ansible-test's venvs.
nox.options.allow_parallel = True

MATRIX = toolchain.test_matrix()[0]
LINT_CORE = MATRIX[-1] if MATRIX else toolchain.CORES[-1]


def _python(core: toolchain.Core) -> str | bool:
    """The session interpreter; False (no venv) when the machine has none: the session then skips."""
    return toolchain.python_for(core) or False


def _skip_without_python(session: nox.Session, core: toolchain.Core) -> None:
    if not toolchain.python_for(core):
        session.skip('ansible-core %s needs Python %s (at most %s); this machine has %s' % (
            core.version, core.requires_python, core.newest_python,
            ', '.join(sorted(toolchain.pythons(), key=toolchain.version_tuple)) or 'none'))


def install_core(session: nox.Session, core: toolchain.Core, *extra: str, emulator: bool = False) -> None:
    """Install a core's pinned requirements (and the emulator package) and check its Requires-Python."""
    _skip_without_python(session, core)
    packages = ['-r', str(core.requirements), *extra]
    if emulator:
        packages.append(EMULATOR_PACKAGE)
    session.install(*packages)
    check_requires_python(session, core)


def check_requires_python(session: nox.Session, core: toolchain.Core) -> None:
    """Fail when the table in hacking/toolchain.py disagrees with the installed release's metadata."""
    installed = session.run(
        'python', '-c',
        'import importlib.metadata as m; d = m.distribution("ansible-core"); '
        'print(d.version, d.metadata["Requires-Python"])',
        silent=True, log=False)
    if not isinstance(installed, str):  # --install-only and the like
        return
    version, requires = installed.split()[-2:]
    if not version.startswith(core.version + '.'):
        session.error('installed ansible-core %s, expected %s.x' % (version, core.version))
    if requires.replace(' ', '') != core.requires_python:
        session.error('ansible-core %s declares Requires-Python %s, hacking/toolchain.py says %s: update CORES'
                      % (version, requires, core.requires_python))


def helper(session: nox.Session, *arguments: str, **kwargs: object) -> None:
    session.run('python', HELPER, *arguments, *session.posargs, external=True, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# lint

@nox.session(python=_python(LINT_CORE))
def lint(session: nox.Session) -> None:
    """ansible-lint, antsibull-docs, antsibull-changelog, ruff, mypy, zero sanity ignores, SPDX lines."""
    install_core(session, LINT_CORE, '-r', str(HACKING / 'requirements-lint.txt'))
    failures = []

    def step(name: str, *command: str, **kwargs: object) -> None:
        try:
            session.run(*command, **kwargs)  # type: ignore[arg-type]
        except nox.command.CommandFailed:
            failures.append(name)

    session.log('zero lines in tests/sanity/ignore-*.txt')
    entries = ['%s:%d: %s' % (os.path.relpath(path, REPO), number, line.strip())
               for path in sorted(glob.glob(str(REPO / 'tests' / 'sanity' / 'ignore-*.txt')))
               for number, line in enumerate(Path(path).read_text(encoding='utf-8').splitlines(), 1)
               if line.strip() and not line.lstrip().startswith('#')]
    if entries:
        session.warn('\n'.join(entries))
        failures.append('%d sanity ignore entries; the standard is zero' % len(entries))
    missing = missing_spdx()
    if missing:
        session.warn('no SPDX-License-Identifier line in:\n  ' + '\n  '.join(missing))
        failures.append('%d source files without an SPDX line' % len(missing))
    copy_root = toolchain.collections_root('lint')
    toolchain.sync_copy('lint')
    # ansible-lint resolves seed.cloudflow through ANSIBLE_COLLECTIONS_PATH (the copy); it warns if
    # scanning sys.path is switched off, so that stays on here.
    step('ansible-lint', 'ansible-lint', env={'ANSIBLE_COLLECTIONS_PATH': str(copy_root)})
    step('antsibull-docs lint-collection-docs', 'antsibull-docs', 'lint-collection-docs', '--plugin-docs', '.',
         env={'ANSIBLE_COLLECTIONS_PATH': str(copy_root)})
    step('antsibull-changelog lint', 'antsibull-changelog', 'lint')
    step('ruff', 'ruff', 'check', '--no-cache', '.')
    # mypy checks the module side as ansible-core imports it (ansible_collections.seed.cloudflow...).
    step('mypy', 'mypy', '--config-file', str(REPO / 'pyproject.toml'),
         '-p', 'ansible_collections.seed.cloudflow.plugins.module_utils',
         '-p', 'ansible_collections.seed.cloudflow.plugins.modules',
         env={'MYPYPATH': str(copy_root)}, success_codes=[0])
    if failures:
        session.error('failed: ' + '; '.join(failures))


SPDX_SUFFIXES = ('.py', '.sh', '.ps1', '.toml', '.cfg')


def missing_spdx() -> list[str]:
    """Tracked source files (Python, shell, TOML, the Makefile, scripts) without the SPDX line."""
    missing = []
    for name in sorted(toolchain.repo_files()):
        path = REPO / name
        if path.is_symlink():
            continue
        if not (name.endswith(SPDX_SUFFIXES) or name in ('Makefile', '.ci/run')):
            continue
        if 'SPDX-License-Identifier:' not in path.read_text(encoding='utf-8', errors='replace')[:2000]:
            missing.append(name)
    return missing


# ---------------------------------------------------------------------------------------------
# ansible-test, per core

def _core_sessions(core: toolchain.Core) -> None:
    python = _python(core)
    default = core in MATRIX

    def tags(kind: str) -> list[str]:
        # `nox -t sanity` (make sanity) runs the cores of the test matrix
        return [kind] if default else []

    @nox.session(name='sanity-' + core.version, python=python, default=default, tags=tags('sanity'))
    def sanity(session: nox.Session) -> None:
        install_core(session, core)
        helper(session, 'ansible-test', 'sanity', core.version)

    @nox.session(name='units-' + core.version, python=python, default=default, tags=tags('units'))
    def units(session: nox.Session) -> None:
        install_core(session, core)
        helper(session, 'ansible-test', 'units', core.version)

    @nox.session(name='integration-' + core.version, python=python, default=default, tags=tags('integration'))
    def integration(session: nox.Session) -> None:
        install_core(session, core, emulator=True)
        helper(session, 'ansible-test', 'integration', core.version)

    @nox.session(name='reliability-' + core.version, python=python, default=default, tags=tags('reliability'))
    def reliability(session: nox.Session) -> None:
        install_core(session, core, emulator=True)
        helper(session, 'pytest', 'tests/reliability')

    sanity.__doc__ = 'ansible-test sanity --local on ansible-core %s (compile/import on every Python here)' % core.version
    units.__doc__ = 'ansible-test units on ansible-core %s' % core.version
    integration.__doc__ = 'ansible-test integration on ansible-core %s against the emulator' % core.version
    reliability.__doc__ = 'pytest tests/reliability on ansible-core %s' % core.version


for _core in toolchain.CORES:
    _core_sessions(_core)


# ---------------------------------------------------------------------------------------------
# once-only sessions (newest core this machine runs)

@nox.session(python=_python(LINT_CORE))
def emulator(session: nox.Session) -> None:
    """The emulator package's own pytest suite (tests/emulator/tests)."""
    install_core(session, LINT_CORE, emulator=True)
    helper(session, 'pytest', 'tests/emulator/tests')


def build_and_install(session: nox.Session, install_root: Path, output: Path = REPO / 'build') -> Path:
    """Build the artifact into output (build/) from a fresh copy and install it under install_root.

    A session that may run beside build (under `make test`) builds into a directory of its own, so that
    neither deletes or reads half of the other's artifact.
    """
    copy = toolchain.sync_copy(session.name)
    output.mkdir(exist_ok=True)
    for old in output.glob('seed-cloudflow-*.tar.gz'):
        old.unlink()
    session.run('ansible-galaxy', 'collection', 'build', '--force', '--output-path', str(output), str(copy))
    artifacts = list(output.glob('seed-cloudflow-*.tar.gz'))
    if len(artifacts) != 1:
        session.error('expected one artifact in %s, found %d' % (output, len(artifacts)))
    session.run('ansible-galaxy', 'collection', 'install', '--force', '-p', str(install_root), str(artifacts[0]),
                env={'ANSIBLE_COLLECTIONS_PATH': str(install_root)})
    return artifacts[0]


@nox.session(python=_python(LINT_CORE))
def build(session: nox.Session) -> None:
    """Build the collection, install the artifact, render every module and role with ansible-doc."""
    install_core(session, LINT_CORE)
    modules = sorted(Path(path).stem for path in glob.glob(str(REPO / 'plugins' / 'modules' / '*.py'))
                     if not path.endswith('__init__.py'))
    roles = sorted(path.name for path in (REPO / 'roles').glob('*') if (path / 'meta').is_dir()) \
        if (REPO / 'roles').is_dir() else []
    if not modules:
        session.error('no modules found in plugins/modules')
    install_root = Path(tempfile.mkdtemp(prefix='seed-cloudflow-install-'))
    try:
        artifact = build_and_install(session, install_root)
        env = {'ANSIBLE_COLLECTIONS_PATH': str(install_root), 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false'}
        broken = []
        for kind, names in (('module', modules), ('role', roles)):
            if not names:
                continue
            # one ansible-doc run per kind and form (each run costs about a second of start-up)
            fqcns = [toolchain.FQCN + '.' + name for name in names]
            session.run('ansible-doc', '-t', kind, *fqcns, env=env)
            rendered = str(session.run('ansible-doc', '-t', kind, '--json', *fqcns, env=env, silent=True, log=False))
            try:  # the output may start with warnings (stderr is merged into it)
                documentation = json.loads(rendered[rendered.find('{'):])
            except ValueError:
                documentation = {}
            for name, fqcn in zip(names, fqcns):
                entry = documentation.get(fqcn) or {}
                if kind == 'module':
                    rendered_ok = entry.get('doc', {}).get('module') == name
                else:
                    rendered_ok = 'main' in entry.get('entry_points', {})
                if not rendered_ok:
                    broken.append('%s %s' % (kind, name))
        if broken:
            session.error('ansible-doc could not render: ' + ', '.join(broken))
        session.log('%s: %d modules and %d roles rendered from the installed artifact'
                    % (artifact.relative_to(REPO), len(modules), len(roles)))
    finally:
        shutil.rmtree(install_root, ignore_errors=True)


EE_EXAMPLE = REPO / 'docs' / 'docsite' / 'ee'
EE_GUIDE = REPO / 'docs' / 'docsite' / 'rst' / 'execution_environments.rst'


@nox.session(python=_python(LINT_CORE))
def ee(session: nox.Session) -> None:
    """ansible-builder introspect over the installed artifact; ansible-builder create on the docs' example EE."""
    install_core(session, LINT_CORE, '-r', str(HACKING / 'requirements-ee.txt'))
    scratch = Path(tempfile.mkdtemp(prefix='seed-cloudflow-ee-'))
    try:
        # What every image build does with each collection it installs: read meta/execution-environment.yml.
        installed = scratch / 'installed'
        artifact = build_and_install(session, installed, output=scratch / 'dist')
        introspected = scratch / 'introspected.txt'
        session.run('ansible-builder', 'introspect', '--sanitize', str(installed), '--write-pip', str(introspected))
        check_introspected(session, introspected, 'ansible-builder introspect --sanitize')

        # The guide's EE definition, with the tarball beside it as the guide says. `create` validates the
        # definition and writes the build context; it runs no container engine and fetches nothing.
        project = scratch / 'ee'
        shutil.copytree(EE_EXAMPLE, project)
        shutil.copy2(artifact, project)
        context = scratch / 'context'
        definition = project / 'execution-environment.yml'
        session.run('ansible-builder', 'create', '--file', str(definition), '--context', str(context),
                    '--output-filename', 'Containerfile', '-v', '3')
        build_files = context / '_build'
        check_ee_context(session, context, artifact)

        # The image's galaxy and builder stages, without a container: install the collection the way the
        # Containerfile does (from _build, offline: the tarball is in the context), then run the context's
        # own introspect.py over the result.
        stage = scratch / 'stage'
        with session.chdir(build_files):
            session.run('ansible-galaxy', 'collection', 'install', '--offline', '-r', 'requirements.yml',
                        '--collections-path', str(stage), env={'ANSIBLE_COLLECTIONS_PATH': str(stage)})
        staged = scratch / 'staged.txt'
        session.run('python', str(build_files / 'scripts' / 'introspect.py'), 'introspect', str(stage),
                    '--write-pip', str(staged))
        check_introspected(session, staged, "the build context's introspect.py")
        check_guide_shows(session, definition)
        session.log('%s: introspected (httpx from %s); %s gave a build context that installs it'
                    % (artifact.name, toolchain.FQCN, EE_EXAMPLE.relative_to(REPO) / definition.name))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def check_introspected(session: nox.Session, requirements: Path, what: str) -> None:
    """Fail unless the introspected pip requirements list httpx, attributed to this collection."""
    lines = requirements.read_text(encoding='utf-8').splitlines() if requirements.is_file() else []
    wanted = re.compile(r'^httpx\b[^#]*#\s*from collection %s\s*$' % re.escape(toolchain.FQCN))
    if not any(wanted.match(line) for line in lines):
        session.error('%s did not list httpx for %s; it listed: %s'
                      % (what, toolchain.FQCN, '; '.join(lines) or 'no Python requirement'))


def check_guide_shows(session: nox.Session, definition: Path) -> None:
    """Fail unless the guide shows the example definition as it is (from `version:` on, in a code block)."""
    lines = definition.read_text(encoding='utf-8').splitlines()
    body = lines[next(number for number, line in enumerate(lines) if line.startswith('version:')):]
    shown = '\n'.join(('    ' + line).rstrip() for line in body)
    if shown not in EE_GUIDE.read_text(encoding='utf-8'):
        session.error('%s does not show %s as it is (from "version:" on, indented by four spaces): update the guide'
                      % (EE_GUIDE.relative_to(REPO), EE_EXAMPLE.relative_to(REPO) / definition.name))


def check_ee_context(session: nox.Session, context: Path, artifact: Path) -> None:
    """Fail unless `ansible-builder create` wrote a Containerfile and carried the tarball and the requirements."""
    containerfile = context / 'Containerfile'
    if not containerfile.is_file():
        session.error('ansible-builder create wrote no %s' % containerfile)
    steps = containerfile.read_text(encoding='utf-8')
    for step in ('ansible-galaxy collection install', 'introspect.py introspect'):
        if step not in steps:
            session.error('the Containerfile has no %r step' % step)
    build_files = context / '_build'
    requirements = build_files / 'requirements.yml'
    if not requirements.is_file():
        session.error('ansible-builder create carried no galaxy requirements (%s)' % requirements)
    tarball = 'collections/' + artifact.name
    if not (build_files / tarball).is_file():
        session.error('ansible-builder create did not carry %s into the build context' % artifact.name)
    if tarball not in requirements.read_text(encoding='utf-8'):
        session.error('%s does not install %s (the tarball this build made) from its build context: the example '
                      'must name the current version, and install from the tarball so that this session can '
                      'check it offline' % (EE_EXAMPLE.relative_to(REPO), tarball))


@nox.session(python=_python(LINT_CORE), default=False)
def demo(session: nox.Session) -> None:
    """Build and install the collection, start the emulator, run every examples/*.yml in order."""
    install_core(session, LINT_CORE, emulator=True)
    playbooks = sorted(glob.glob(str(REPO / 'examples' / '*.yml')))
    if not playbooks:
        session.error('no example playbooks: examples/*.yml does not exist')
    collections = REPO / '.cache' / 'demo-collections'
    shutil.rmtree(collections, ignore_errors=True)
    build_and_install(session, collections)
    session.run('python', HELPER, 'playbooks', '--collections', str(collections),
                *(os.path.relpath(playbook, REPO) for playbook in playbooks))


@nox.session(name='emulator-server', python=_python(LINT_CORE), default=False)
def emulator_server(session: nox.Session) -> None:
    """The emulator in the foreground (`nox -s emulator-server -- --port 8080`)."""
    install_core(session, LINT_CORE, emulator=True)
    session.run('cloudflow-emulator', *(session.posargs or ['--port', '0']))


@nox.session(python=_python(LINT_CORE), default=False)
def bench(session: nox.Session) -> None:
    """bench/run.py (`nox -s bench -- --quick` for a smoke run)."""
    install_core(session, LINT_CORE, emulator=True)
    session.run('python', 'bench/run.py', *session.posargs)


@nox.session(python=_python(LINT_CORE), default=False)
def soak(session: nox.Session) -> None:
    """pytest tests/reliability --soak (the long form)."""
    install_core(session, LINT_CORE, emulator=True)
    helper(session, 'pytest', 'tests/reliability', '--soak')


# ---------------------------------------------------------------------------------------------
# antsibull-nox: docs-check, extra-checks, build-import-check (antsibull-nox.toml)

if antsibull_nox is not None:
    antsibull_nox.load_antsibull_nox_toml()

# `nox` alone (and `make test`) runs these, longest first, which suits `--parallel 2`: the
# integration runs start at once, and the two sanity runs (which take turns) do not follow each other.
nox.options.sessions = [
    *('integration-' + core.version for core in reversed(MATRIX)),
    *(name + '-' + core.version for core in reversed(MATRIX) for name in ('sanity', 'reliability')),
    'lint', 'emulator', *('units-' + core.version for core in MATRIX),
    'build', 'ee', 'docs-check', 'build-import-check', 'extra-checks',
]
