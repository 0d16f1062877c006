# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Client-side token buckets that mirror the service's API quotas, so that one run never outpaces them."""

from __future__ import annotations

import threading
import time
import typing as t

# Service quotas per account (reference section 10): action -> (burst, refill per second).
ACTION_QUOTAS = {
    "StartExecution": (100.0, 100.0),
    "DescribeExecution": (50.0, 5.0),
    "GetExecutionHistory": (50.0, 5.0),
}  # type: t.Dict[str, t.Tuple[float, float]]
DEFAULT_QUOTA = (10.0, 2.0)
BURST_HEADROOM = 1.0


class TokenBucket:
    """A token bucket that paces callers; thread-safe.

    A caller reserves its token under the lock (the count may go negative, which queues it
    behind earlier callers) and sleeps outside the lock, so many threads are spaced evenly.
    """

    def __init__(
        self,
        burst: float,
        rate: float,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        # A burst under one token would delay even the first call.
        self.burst = max(1.0, float(burst))
        self.rate = float(rate)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()

    def reserve(self) -> float:
        """Take one token and return how long the caller must wait before using it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> float:
        """Block until a token is available; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


class RateLimiter:
    """One TokenBucket per action, sized from ACTION_QUOTAS times scale; scale <= 0 disables limiting.

    The real quota is per account and shared with every other client, which this process cannot
    see; each module run is a fresh process, so every bucket starts full, like an idle account.
    """

    def __init__(
        self,
        scale: float = 1.0,
        *,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] = time.sleep,
    ) -> None:
        self.scale = float(scale)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets = {}  # type: t.Dict[str, TokenBucket]

    @property
    def enabled(self) -> bool:
        return self.scale > 0

    def bucket(self, action: str) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(action)
            if bucket is None:
                burst, rate = ACTION_QUOTAS.get(action, DEFAULT_QUOTA)
                # One token of headroom absorbs network jitter: a request delayed on a fresh connection must not let the
                # ones behind it reach the service's bucket early. The sustained rate is unchanged.
                bucket = TokenBucket(burst * self.scale - BURST_HEADROOM, rate * self.scale, clock=self._clock, sleep=self._sleep)
                self._buckets[action] = bucket
            return bucket

    def acquire(self, action: str) -> float:
        """Wait for the action's next token; returns the seconds waited."""
        if not self.enabled:
            return 0.0
        return self.bucket(action).acquire()
