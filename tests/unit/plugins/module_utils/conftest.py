# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the module_utils tests."""

from __future__ import annotations

import functools
import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient
from ansible_collections.seed.cloudflow.tests.unit.plugins import mock_http


@pytest.fixture
def make_client(monkeypatch: pytest.MonkeyPatch) -> t.Callable[..., CloudFlowClient]:
    """mock_http.make_client for this test: make_client(service, credentials, quota_scale=, rate_limiter=, **transport options)."""
    return functools.partial(mock_http.make_client, monkeypatch)
