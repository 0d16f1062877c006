# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`loopback_environment`: the environment for processes that may talk only to the emulator over
loopback (playbooks, ansible-test, the bench). Standard library only, so that tools without the
package's dependencies can import it from a checkout.
"""
from __future__ import annotations

import os
from typing import Dict, Mapping, Optional, Sequence, Union

PathLike = Union[str, "os.PathLike[str]"]

# Variables that could hand the modules credentials, an endpoint or settings nobody chose here.
SCRUBBED_PREFIXES = ("ALIBABA_CLOUD_", "ALICLOUD_", "ANSIBLE_", "CLOUDFLOW_")
# Proxies (in either case), certificate bundles and foreign import paths.
SCRUBBED_NAMES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY", "NO_PROXY",
                  "SSL_CERT_FILE", "SSL_CERT_DIR", "PYTHONPATH")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def loopback_environment(environ: Optional[Mapping[str, str]] = None, *, scrub: bool = True,
                         home: Optional[PathLike] = None,
                         collections_path: Optional[PathLike] = None,
                         path_prepend: Sequence[PathLike] = (),
                         extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """A copy of `environ` (default os.environ) in which nothing reaches past loopback.

    Always: PYTHONPATH is dropped; ALIBABA_CLOUD_ECS_METADATA_DISABLED and
    ALIBABA_CLOUD_IMDSV1_DISABLED are "true", so no credential chain asks the ECS metadata
    service (100.100.100.200).

    scrub=True (a playbook or bench run): every ALIBABA_CLOUD_*, ALICLOUD_*, ANSIBLE_* and
    CLOUDFLOW_* variable, every proxy variable (either case), SSL_CERT_FILE and SSL_CERT_DIR go,
    and NO_PROXY / no_proxy are "*". scrub=False (a tool that still needs its proxies, such as
    ansible-test fetching packages): everything stays, and 127.0.0.1, localhost and ::1 are added
    to NO_PROXY / no_proxy.

    home sets HOME; collections_path sets ANSIBLE_COLLECTIONS_PATH (with
    ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false); path_prepend goes in front of PATH; extra is
    applied last.
    """
    source = os.environ if environ is None else environ
    if scrub:
        env = {name: value for name, value in source.items()
               if not name.upper().startswith(SCRUBBED_PREFIXES) and name.upper() not in SCRUBBED_NAMES}
        env["NO_PROXY"] = env["no_proxy"] = "*"
    else:
        env = {name: value for name, value in source.items() if name != "PYTHONPATH"}
        listed = [item.strip() for item in env.get("NO_PROXY", env.get("no_proxy", "")).split(",") if item.strip()]
        env["NO_PROXY"] = env["no_proxy"] = ",".join(listed + [host for host in LOOPBACK_HOSTS if host not in listed])
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    env["ALIBABA_CLOUD_IMDSV1_DISABLED"] = "true"
    if home is not None:
        env["HOME"] = os.fspath(home)
    if collections_path is not None:
        env["ANSIBLE_COLLECTIONS_PATH"] = os.fspath(collections_path)
        env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "false"
    if path_prepend:
        env["PATH"] = os.pathsep.join([os.fspath(item) for item in path_prepend] + [env.get("PATH", "")])
    if extra:
        env.update(extra)
    return env
