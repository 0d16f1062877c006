# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import yaml

from ansible_collections.seed.cloudflow.plugins.module_utils import _transport

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def test_collection_version_matches_galaxy_yml() -> None:
    with open(os.path.join(COLLECTION_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    assert _transport.COLLECTION_VERSION == str(galaxy["version"])


def test_user_agent_names_the_collection_and_its_version() -> None:
    assert _transport.USER_AGENT.startswith("seed.cloudflow/{0} ".format(_transport.COLLECTION_VERSION))
