# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which failures are retried, and how long the backoff waits (the client's use of it is in test_client)."""

from __future__ import annotations

import random
import typing as t

import httpx
import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._retry import RetryPolicy, is_retryable, retry_after_seconds


@pytest.mark.parametrize(
    "status, code, expected",
    [
        (429, "ResourceThrottled", True),
        (429, None, True),
        (400, "Throttling.User", True),
        (400, "Throttling", True),
        (503, "ServiceUnavailable", True),
        (500, "InternalServerError", True),
        (502, None, True),
        (504, "InvalidResponse", True),
        (409, "ConcurrentUpdateError", True),
        (None, "ServiceUnavailable", True),
        (400, "InvalidArgument", False),
        (400, "ExecutionAlreadyCompleted", False),
        (403, "SignatureNotMatch", False),
        (403, "InvalidAccessKeyID", False),
        (403, "RequestTimeTooSkewed", False),
        (404, "ExecutionNotExists", False),
        (409, "FlowAlreadyExists", False),
        (200, None, False),
        (None, None, False),
    ],
)
def test_retry_classification(status: t.Optional[int], code: t.Optional[str], expected: bool) -> None:
    assert is_retryable(status, code) is expected


def test_full_jitter_bounds_and_exponential_cap() -> None:
    policy = RetryPolicy(max_retries=10, base_delay=0.25, max_delay=20.0)
    rng = random.Random(1234)
    caps = [min(20.0, 0.25 * 2 ** retry_number) for retry_number in range(10)]
    assert caps[:4] == [0.25, 0.5, 1.0, 2.0] and caps[-1] == 20.0
    for retry_number, cap in enumerate(caps):
        samples = [policy.delay(retry_number, None, rng) for _attempt in range(300)]
        assert all(0.0 <= delay <= cap for delay in samples)
        # Full jitter spreads over the whole range, not around a fixed value.
        assert max(samples) > 0.8 * cap and min(samples) < 0.2 * cap
    assert policy.delay(10_000, None, rng) <= 20.0


def test_retry_after_is_a_floor_capped_at_max_delay() -> None:
    policy = RetryPolicy(base_delay=0.25, max_delay=20.0)
    rng = random.Random(5)
    assert all(policy.delay(0, 3.0, rng) == 3.0 for _attempt in range(20))
    assert policy.delay(0, 500.0, rng) == 20.0


@pytest.mark.parametrize("header, seconds", [("3000", 3.0), (" 250 ", 0.25), ("0", None), ("-5", None), ("soon", None), (None, None)])
def test_retry_after_header_is_read_as_milliseconds(header: t.Optional[str], seconds: t.Optional[float]) -> None:
    headers = {"x-acs-retry-after": header} if header is not None else {}
    assert retry_after_seconds(httpx.Response(429, headers=headers)) == seconds
