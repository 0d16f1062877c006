# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest


@pytest.fixture(autouse=True)
def no_ecs_metadata_service(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    """Unit tests never reach the real ECS metadata address (100.100.100.200), even by accident.

    Tests of the metadata step pass their own environ mapping and a local metadata_url.
    """
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    yield
