"""Local emulator of the Alibaba Cloud CloudFlow (fnf 2019-03-15) RPC API, for tests."""
from __future__ import annotations

__all__ = ["create_app"]


def create_app(initial_settings=None):  # type: ignore[no-untyped-def]
    from .app import create_app as _create_app

    return _create_app(initial_settings)
