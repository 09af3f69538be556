"""Settings from the environment: each value checked, a wrong one named in one line."""

from __future__ import annotations

import pytest

from orders.settings import Settings


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


def test_the_order_cache_keeps_orders_an_hour_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ORDER_CACHE_SECONDS", raising=False)
    assert Settings.from_env().order_cache_seconds == 3600
    assert settings(monkeypatch, ORDER_CACHE_SECONDS="2.5").order_cache_seconds == 2.5
    assert settings(monkeypatch, ORDER_CACHE_SECONDS="0").order_cache_seconds == 0


@pytest.mark.parametrize("value", ["-1", "soon", "inf", "nan"])
def test_a_cache_expiry_that_is_not_a_number_of_seconds_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    with pytest.raises(ValueError, match="ORDER_CACHE_SECONDS"):
        settings(monkeypatch, ORDER_CACHE_SECONDS=value)
