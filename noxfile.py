# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks of seed.cloudflow as nox sessions (docs/developing.md); `nox -l` lists them.

antsibull-nox.toml gives lint (ruff, mypy), ansible-lint, docs-check, extra-checks and build-import-check.
Its ansible-test sessions need Docker and GitHub, so sanity, units and integration per ansible-core
(hacking/requirements-core-X.Y.txt) are here, on antsibull-nox's copy of the collection, run through
hacking/toolchain.py.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import antsibull_nox
import nox
from antsibull_nox.ansible import get_ansible_core_info
from antsibull_nox.sessions import prepare_collections
from antsibull_nox.utils import Version

REPO = Path(__file__).resolve().parent
HACKING = REPO / 'hacking'
EMULATOR_PACKAGE = str(REPO / 'tests' / 'emulator')
FQCN = 'seed.cloudflow'
KINDS = ('sanity', 'units', 'integration', 'reliability')
INSTALL_ONLY = '--install-only' in sys.argv

nox.options.default_venv_backend = 'uv|venv'  # uv fills a venv several times faster than pip
nox.options.download_python = 'never'  # only interpreters this machine has
nox.options.reuse_venv = 'yes'  # the installer still runs every time, so the pins stay applied
nox.options.error_on_missing_interpreters = True  # python= only ever names an interpreter that ran
nox.options.allow_parallel = True  # `make test` runs two sessions at a time
# uv trusts the system's certificate store, as pip does here (TLS goes through a local CA).
os.environ.setdefault('UV_NATIVE_TLS', 'true')
# uv installs no bytecode: without a cache every ansible-playbook, module and pytest process compiles
# ansible-core and httpx again (some shells set PYTHONDONTWRITEBYTECODE). The cache is under .cache/.
os.environ.pop('PYTHONDONTWRITEBYTECODE', None)
os.environ.setdefault('PYTHONPYCACHEPREFIX', str(REPO / '.cache' / 'pycache'))


def find_pythons() -> dict[str, str]:
    """{'3.Y': path} for 3.8 to 3.14: per version the first of $SEED_CLOUDFLOW_PYTHON3_Y, pyenv's versions,
    /usr/local/bin and /usr/bin that runs and has venv (not PATH: pyenv's shims for absent versions exit 127)."""
    found = {}
    pyenv = os.environ.get('PYENV_ROOT', os.path.expanduser('~/.pyenv'))
    for version in ['3.%d' % minor for minor in range(8, 15)]:
        candidates = [os.environ.get('SEED_CLOUDFLOW_PYTHON' + version.replace('.', '_'), '')]
        candidates += sorted(glob.glob('%s/versions/%s.*/bin/python%s' % (pyenv, version, version)), reverse=True)
        for candidate in [path for path in candidates if path] + ['/usr/local/bin/python' + version, '/usr/bin/python' + version]:
            probe = 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'
            if os.access(candidate, os.X_OK) and subprocess.run([candidate, '-c', probe], capture_output=True, text=True,
                                                                timeout=60, check=False).stdout.strip() == version:
                found[version] = candidate
                break
    return found


def supported_pythons(core: str) -> list[str]:
    """The controller Pythons of a core: antsibull-nox's table (pinned in hacking/requirements-nox.txt)."""
    return [str(version) for version in get_ansible_core_info(Version.parse(core)).controller_python_versions]


def core_python(core: str) -> str | None:
    """The oldest core runs on the oldest Python it supports (what users of old releases have), the
    others on the newest; None when this machine has none of them."""
    usable = [version for version in supported_pythons(core) if version in PYTHONS]
    return (usable[0] if core == CORES[0] else usable[-1]) if usable else None


PYTHONS = find_pythons()
CORES = sorted((path.stem.rsplit('-', 1)[1] for path in HACKING.glob('requirements-core-*.txt')), key=Version.parse)
CORE_PYTHON = {core: core_python(core) for core in CORES}
# `make test` runs the oldest core and the newest one this machine has a Python for.
RUNNABLE = [core for core in CORES if CORE_PYTHON[core]]
MATRIX = list(dict.fromkeys(RUNNABLE[:1] + RUNNABLE[-1:]))
NEWEST = MATRIX[-1] if MATRIX else CORES[-1]  # the core of the sessions that run once
# The sessions' interpreters; False (no venv) when there is none: the session then skips.
INTERPRETER = {core: PYTHONS.get(CORE_PYTHON[core] or '') or False for core in CORES}
NEWEST_PYTHON = INTERPRETER[NEWEST]


def install(session: nox.Session, core: str, *extra: str) -> None:
    """Install a core's pinned requirements and extra; skip, saying why, without a Python for the core."""
    if not CORE_PYTHON[core]:
        supported = supported_pythons(core)
        session.skip('ansible-core %s (needs Python %s to %s; this machine has %s)' % (
            core, supported[0], supported[-1], ', '.join(PYTHONS) or 'none of 3.8 to 3.14'))
    session.install('-r', str(HACKING / ('requirements-core-%s.txt' % core)), *extra)
    if INSTALL_ONLY:  # make venv: nothing runs, so there is nothing to build or check either
        session.skip('venv ready')


def collection_copy(session: nox.Session) -> Path:
    """antsibull-nox's copy of the collection (the files git sees, new ones included) in a temporary directory,
    which must not be inside a git work tree: there ansible-test would say "All targets skipped" and exit 0."""
    copy = prepare_collections(session, install_in_site_packages=False, install_out_of_tree=True).current_path  # type: ignore[union-attr]
    if subprocess.run(['git', '-C', str(copy), 'rev-parse'], capture_output=True, check=False).returncode == 0:
        session.error('%s is inside a git work tree, where ansible-test skips every target: set TMPDIR' % copy)
    return copy


def helper(session: nox.Session, kind: str, *command: str, cwd: Path = REPO, **options: str) -> None:
    """Run a command through hacking/toolchain.py in the session venv (see there), in cwd, with pythonX.Y
    links to the real interpreters first on PATH: sanity's compile and import tests run on every one."""
    links = Path(session.create_tmp()).resolve() / 'pythons'  # before the chdir: a relative tmp lands in cwd
    shutil.rmtree(links, ignore_errors=True)
    links.mkdir()
    for version, path in PYTHONS.items():
        (links / ('python' + version)).symlink_to(path)
    flags = [item for name, value in options.items() for item in ('--' + name, value)]
    with session.chdir(cwd):
        session.run('python', str(HACKING / 'toolchain.py'), kind, '--path', str(links), *flags, '--', *command, *session.posargs)


def core_session(core: str, kind: str) -> None:
    default = core in MATRIX or not CORE_PYTHON[core]  # a core without a Python skips, saying so

    @nox.session(name='%s-%s' % (kind, core), python=INTERPRETER[core], tags=[kind] if default else [])
    def run(session: nox.Session) -> None:
        install(session, core, *([EMULATOR_PACKAGE] if kind in ('integration', 'reliability') else []))
        if kind == 'reliability':
            helper(session, 'pytest', 'python', '-m', 'pytest', 'tests/reliability')
        else:  # sanity's controller runs on the venv's Python, its compile and import tests on every pythonX.Y
            python = [] if kind == 'sanity' else ['--python', str(CORE_PYTHON[core])]
            helper(session, kind, 'ansible-test', kind, '--local', '--color', 'yes', *python, cwd=collection_copy(session))

    run.__doc__ = '%s on ansible-core %s' % ('pytest tests/reliability' if kind == 'reliability' else 'ansible-test ' + kind, core)


for _core in CORES:
    for _kind in KINDS:
        core_session(_core, _kind)


# ---------------------------------------------------------------------------------------------
# once, on the newest core this machine runs

@nox.session(python=NEWEST_PYTHON)
def emulator(session: nox.Session) -> None:
    """The emulator package's own pytest suite (tests/emulator/tests)."""
    install(session, NEWEST, EMULATOR_PACKAGE)
    helper(session, 'pytest', 'python', '-m', 'pytest', 'tests/emulator/tests')


def build_and_install(session: nox.Session, install_root: Path, output: Path = REPO / 'build') -> Path:
    """Build the artifact from a fresh copy into output (emptied first) and install it under install_root."""
    shutil.rmtree(output, ignore_errors=True)
    session.run('ansible-galaxy', 'collection', 'build', '--output-path', str(output), str(collection_copy(session)))
    artifact = next(output.glob('seed-cloudflow-*.tar.gz'))
    session.run('ansible-galaxy', 'collection', 'install', '--force', '-p', str(install_root), str(artifact),
                env={'ANSIBLE_COLLECTIONS_PATH': str(install_root)})
    return artifact


@nox.session(python=NEWEST_PYTHON)
def build(session: nox.Session) -> None:
    """Build the collection, install the artifact, render every module and role with ansible-doc, and
    lint the RST that antsibull-docs makes of their documentation with rstcheck (docs-check skips that)."""
    install(session, NEWEST, 'antsibull-docs==2.28.0')  # as in antsibull-nox.toml
    installed = Path(session.create_tmp()).resolve() / 'installed'
    artifact = build_and_install(session, installed)
    env = {'ANSIBLE_COLLECTIONS_PATH': str(installed), 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false'}
    with session.chdir(installed / 'ansible_collections' / 'seed' / 'cloudflow'):
        session.run('antsibull-docs', 'lint-collection-docs', '--plugin-docs', '.', env=env)
    modules = sorted(path.stem for path in (REPO / 'plugins' / 'modules').glob('*.py') if path.name != '__init__.py')
    roles = sorted(path.parent.name for path in (REPO / 'roles').glob('*/meta'))
    if not modules:
        session.error('no modules found in plugins/modules')
    broken = []
    for kind, names in (('module', modules), ('role', roles)):
        if not names:
            continue
        # one ansible-doc run per kind and form (each run costs about a second of start-up)
        fqcns = ['%s.%s' % (FQCN, name) for name in names]
        session.run('ansible-doc', '-t', kind, *fqcns, env=env)
        rendered = str(session.run('ansible-doc', '-t', kind, '--json', *fqcns, env=env, silent=True, log=False))
        # the output may start with warnings (stderr is merged into it)
        documentation = json.loads(rendered[rendered.find('{'):]) if '{' in rendered else {}
        for name, fqcn in zip(names, fqcns):
            entry = documentation.get(fqcn) or {}
            if kind == 'module' and entry.get('doc', {}).get('module') != name or \
                    kind == 'role' and 'main' not in entry.get('entry_points', {}):  # a role documents its main entry point
                broken.append('%s %s' % (kind, name))
    if broken:
        session.error('ansible-doc could not render: ' + ', '.join(broken))
    session.log('%s: %d modules and %d roles rendered from the installed artifact' % (artifact.relative_to(REPO), len(modules), len(roles)))


EE_EXAMPLE = REPO / 'docs' / 'docsite' / 'ee'
EE_GUIDE = REPO / 'docs' / 'docsite' / 'rst' / 'execution_environments.rst'


@nox.session(python=NEWEST_PYTHON)
def ee(session: nox.Session) -> None:
    """ansible-builder introspect over the installed artifact; ansible-builder create on the docs' example EE."""
    install(session, NEWEST, '-r', str(HACKING / 'requirements-ee.txt'))
    scratch = Path(session.create_tmp()).resolve() / 'ee'
    shutil.rmtree(scratch, ignore_errors=True)
    # What every image build does with each collection it installs: read meta/execution-environment.yml.
    artifact = build_and_install(session, scratch / 'installed', output=scratch / 'dist')
    session.run('ansible-builder', 'introspect', '--sanitize', str(scratch / 'installed'), '--write-pip', str(scratch / 'introspected.txt'))
    check_introspected(session, scratch / 'introspected.txt', 'ansible-builder introspect --sanitize')

    # The guide's EE definition, with the tarball beside it as the guide says. `create` validates the
    # definition and writes the build context; it runs no container engine and fetches nothing.
    project, context = scratch / 'project', scratch / 'context'
    shutil.copytree(EE_EXAMPLE, project)
    shutil.copy2(artifact, project)
    definition = project / 'execution-environment.yml'
    session.run('ansible-builder', 'create', '--file', str(definition), '--context', str(context),
                '--output-filename', 'Containerfile', '-v', '3')
    check_ee_context(session, context, artifact)

    # The image's galaxy and builder stages, without a container: install the collection the way the
    # Containerfile does (from _build, offline: the tarball is in the context), then run the context's
    # own introspect.py over the result.
    build_files, stage = context / '_build', scratch / 'stage'
    with session.chdir(build_files):
        session.run('ansible-galaxy', 'collection', 'install', '--offline', '-r', 'requirements.yml',
                    '--collections-path', str(stage), env={'ANSIBLE_COLLECTIONS_PATH': str(stage)})
    session.run('python', str(build_files / 'scripts' / 'introspect.py'), 'introspect', str(stage), '--write-pip', str(scratch / 'staged.txt'))
    check_introspected(session, scratch / 'staged.txt', "the build context's introspect.py")

    # The guide must show the example definition as it is (from `version:` on, in a code block).
    lines = definition.read_text(encoding='utf-8').splitlines()
    shown = '\n'.join(('    ' + line).rstrip() for line in lines[[line.startswith('version:') for line in lines].index(True):])
    if shown not in EE_GUIDE.read_text(encoding='utf-8'):
        session.error('%s does not show %s as it is (from "version:" on, indented by four spaces): update the guide'
                      % (EE_GUIDE.relative_to(REPO), EE_EXAMPLE.relative_to(REPO) / definition.name))
    session.log('%s: introspected (httpx from %s); %s gave a build context that installs it'
                % (artifact.name, FQCN, EE_EXAMPLE.relative_to(REPO) / definition.name))


def check_introspected(session: nox.Session, requirements: Path, what: str) -> None:
    """Fail unless the introspected pip requirements list httpx, attributed to this collection."""
    lines = requirements.read_text(encoding='utf-8').splitlines() if requirements.is_file() else []
    if not any(re.match(r'^httpx\b[^#]*#\s*from collection %s\s*$' % re.escape(FQCN), line) for line in lines):
        session.error('%s did not list httpx for %s; it listed: %s' % (what, FQCN, '; '.join(lines) or 'no Python requirement'))


def check_ee_context(session: nox.Session, context: Path, artifact: Path) -> None:
    """Fail unless `ansible-builder create` wrote a Containerfile and carried the tarball and the requirements."""
    containerfile, requirements, tarball = context / 'Containerfile', context / '_build' / 'requirements.yml', 'collections/' + artifact.name
    for step in ('ansible-galaxy collection install', 'introspect.py introspect'):
        if step not in containerfile.read_text(encoding='utf-8'):
            session.error('the Containerfile has no %r step' % step)
    if not (context / '_build' / tarball).is_file():
        session.error('ansible-builder create did not carry %s into the build context' % artifact.name)
    if tarball not in requirements.read_text(encoding='utf-8'):
        session.error('%s does not install %s (the tarball this build made) from its build context: the example must name '
                      'the current version, and install from the tarball so that this session can check it offline' % (EE_EXAMPLE.relative_to(REPO), tarball))


@nox.session(python=NEWEST_PYTHON, default=False)
def demo(session: nox.Session) -> None:
    """Build and install the collection, start the emulator, run examples/*.yml in order against it."""
    install(session, NEWEST, EMULATOR_PACKAGE)
    collections = REPO / '.cache' / 'demo-collections'
    build_and_install(session, collections)
    helper(session, 'demo', 'ansible-playbook', *sorted(glob.glob('examples/*.yml')), collections=str(collections))


@nox.session(name='emulator-server', python=NEWEST_PYTHON, default=False)
def emulator_server(session: nox.Session) -> None:
    """The emulator in the foreground (`nox -s emulator-server -- --port 8080`)."""
    install(session, NEWEST, EMULATOR_PACKAGE)
    session.run('cloudflow-emulator', *(session.posargs or ['--port', '0']))


@nox.session(python=NEWEST_PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """bench/run.py, which measures and then has bench/render.py write the page (`nox -s bench -- --quick`:
    a smoke run, its JSON and page in the temporary directory)."""
    install(session, NEWEST, EMULATOR_PACKAGE)
    session.run('python', 'bench/run.py', *session.posargs)


@nox.session(python=NEWEST_PYTHON, default=False)
def soak(session: nox.Session) -> None:
    """pytest tests/reliability --soak (the long form)."""
    install(session, NEWEST, EMULATOR_PACKAGE)
    helper(session, 'pytest', 'python', '-m', 'pytest', 'tests/reliability', '--soak')


antsibull_nox.load_antsibull_nox_toml()

# `nox` alone (and `make test`) runs these, longest first, which suits `--parallel 2`: the integration
# runs start at once, and the two sanity runs (which take turns) do not follow each other. The
# sessions of a core this machine has no Python for come last; they skip, saying why.
nox.options.sessions = [
    *('integration-' + core for core in reversed(MATRIX)),
    *(kind + '-' + core for core in reversed(MATRIX) for kind in ('sanity', 'reliability')),
    'lint', 'ansible-lint', 'emulator', *('units-' + core for core in MATRIX),
    'build', 'ee', 'docs-check', 'build-import-check', 'extra-checks',
    *(kind + '-' + core for core in CORES if not CORE_PYTHON[core] for kind in KINDS),
]
