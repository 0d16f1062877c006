# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for ansible-test's get-pip script, which this machine cannot download.

hacking/toolchain.py copies it to ~/.ansible/test/cache/get_pip_<version>.py, where ansible-test
looks first. Run with get-pip's arguments (``pip==25.2 --no-setuptools --no-wheel``) by a fresh venv
without pip, it runs ``pip install`` with them from the pip wheel bundled for ensurepip.
"""

import glob
import os
import re
import sys


def main():
    import ensurepip  # pylint: disable=import-outside-toplevel

    wheels = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', 'pip-*.whl'))
    wheels += glob.glob('/usr/share/python-wheels/pip-*.whl')  # Debian's python3-pip-whl
    if not wheels:
        sys.exit('get-pip stand-in: no bundled pip wheel found for %s' % sys.executable)
    # the newest one, by the version in its name (pip-24.0-py3-none-any.whl)
    sys.path.insert(0, max(wheels, key=lambda path: [int(part) for part in re.findall(r'\d+', os.path.basename(path).split('-')[1])]))
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    sys.exit(pip_main(['install'] + [argument for argument in sys.argv[1:] if argument not in ('--no-setuptools', '--no-wheel')]))


if __name__ == '__main__':
    main()
