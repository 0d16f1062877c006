# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Nothing by itself: the fragments are the named ones below (the action group is in seed.cloudflow.connection).
    DOCUMENTATION = r"""
options: {}
"""

    # The attributes of a module that only reads (the *_info modules).
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: The module only reads, so it runs the same in check mode.
    support: full
  diff_mode:
    description: The module changes nothing, so there is no diff.
    support: N/A
  idempotent:
    description: The module changes nothing.
    support: full
"""
