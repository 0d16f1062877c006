# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client-side token buckets that mirror the service's API quotas."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._quota import ACTION_QUOTAS, DEFAULT_QUOTA, RateLimiter, TokenBucket
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeClock


def test_token_bucket_allows_burst_then_paces() -> None:
    clock = FakeClock(100.0)
    bucket = TokenBucket(3, 2.0, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _attempt in range(7)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.5, 0.5, 0.5, 0.5])
    assert clock.now == pytest.approx(102.0)


def test_token_bucket_refills_up_to_burst_only() -> None:
    clock = FakeClock(100.0)
    bucket = TokenBucket(2, 1.0, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.acquire()
    clock.now += 1000
    assert [bucket.acquire() for _attempt in range(3)] == pytest.approx([0.0, 0.0, 1.0])


def test_token_bucket_queues_concurrent_callers() -> None:
    """Reservations made at the same instant are spaced one token apart, not all released together."""
    clock = FakeClock(100.0)
    frozen_sleeps: list[float] = []
    lock = threading.Lock()

    def record(seconds: float) -> None:
        with lock:
            frozen_sleeps.append(seconds)

    bucket = TokenBucket(2, 4.0, clock=clock, sleep=record)
    threads = [threading.Thread(target=bucket.acquire) for _attempt in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(frozen_sleeps) == pytest.approx([0.25 * index for index in range(1, 9)])


def test_rate_limiter_uses_service_quotas_scaled_and_starts_full() -> None:
    assert ACTION_QUOTAS["StartExecution"] == (100, 100)
    assert ACTION_QUOTAS["DescribeExecution"] == (50, 5)
    assert ACTION_QUOTAS["GetExecutionHistory"] == (50, 5)
    assert DEFAULT_QUOTA == (10, 2)
    clock = FakeClock(100.0)
    limiter = RateLimiter(0.5, clock=clock, sleep=clock.sleep)
    # StopExecution at half quota: burst 5 less one token of headroom, refill 1 per second.
    assert [limiter.acquire("StopExecution") for _attempt in range(4)] == [0.0] * 4
    assert limiter.acquire("StopExecution") == pytest.approx(1.0)
    assert limiter.acquire("StopExecution") == pytest.approx(1.0)  # the fake clock advanced by the first wait
    assert limiter.bucket("DescribeExecution").burst == 24 and limiter.bucket("DescribeExecution").rate == 2.5
    assert limiter.bucket("StartExecution").rate == 50


@pytest.mark.parametrize("scale", [0, -1])
def test_rate_limiter_can_be_disabled(scale: float) -> None:
    clock = FakeClock(100.0)
    limiter = RateLimiter(scale, clock=clock, sleep=clock.sleep)
    assert [limiter.acquire("StopExecution") for _attempt in range(100)] == [0.0] * 100
    assert clock.sleeps == []
