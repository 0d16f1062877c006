# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for ansible-test's get-pip bootstrap script.

hacking/toolchain.py copies this file to ~/.ansible/test/cache/get_pip_<version>.py before it
runs ansible-test, because the machines this project runs on cannot download the real get-pip.
ansible-test runs it (through its quiet_pip wrapper) with the interpreter of a fresh, pip-less
virtual environment and with the arguments it would give get-pip.py, for example
``--disable-pip-version-check pip==25.2 --no-setuptools --no-wheel``.

It imports pip straight from the wheel that the interpreter bundles for ensurepip (or from the
distribution's python-wheels directory) and runs ``pip install`` with those arguments, so the
requested pip version is installed from the package index into the environment.
"""

from __future__ import annotations

import glob
import os
import re
import sys

DROPPED_ARGUMENTS = ('--no-setuptools', '--no-wheel')


def version_key(path):
    """Sort key: the numeric version in a pip wheel's file name."""
    match = re.search(r'pip-([0-9][0-9.]*)-', os.path.basename(path))
    if not match:
        return ()
    return tuple(int(part) for part in match.group(1).split('.') if part.isdigit())


def bundled_pip_wheel():
    """Return the newest pip wheel available to this interpreter without a download."""
    import ensurepip  # pylint: disable=import-outside-toplevel

    directories = [
        os.path.join(os.path.dirname(ensurepip.__file__), '_bundled'),
        '/usr/share/python-wheels',
    ]
    wheels = []
    for directory in directories:
        wheels.extend(glob.glob(os.path.join(directory, 'pip-*.whl')))
    if not wheels:
        sys.exit('get-pip stand-in: no bundled pip wheel found for %s' % sys.executable)
    return sorted(wheels, key=version_key)[-1]


def main():
    """Install pip (and whatever else was asked for) using the bundled pip wheel."""
    sys.path.insert(0, bundled_pip_wheel())
    arguments = [argument for argument in sys.argv[1:] if argument not in DROPPED_ARGUMENTS]
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    sys.exit(pip_main(['install'] + arguments))


if __name__ == '__main__':
    main()
