"""The token throttle counts requests in two integers per token (this period's and the
previous one's, a sliding window estimated from them), not a list of request times."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache

from buddy.api.throttling import TokenClientThrottle
from buddy.models import ApiToken


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _throttle(clock, backend=None, rate="3/min"):
    cls = type("Throttle", (TokenClientThrottle,), {"rate": rate, "cache": backend})
    throttle = cls()
    throttle.timer = clock
    return throttle


def _allowed(throttle, token_key="tok1") -> bool:  # noqa: S107 - a key's prefix, no secret
    request = SimpleNamespace(auth=ApiToken(token_key=token_key))
    return throttle.allow_request(request, None)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_requests_over_the_rate_are_refused_with_a_wait():
    clock = Clock(600.0 + 10)
    throttle = _throttle(clock)
    assert [_allowed(throttle) for _ in range(4)] == [True, True, True, False]
    assert 1 <= throttle.wait() <= 50


def test_the_previous_periods_requests_count_while_they_are_in_the_window():
    clock = Clock(600.0 + 50)
    throttle = _throttle(clock)
    assert all(_allowed(throttle) for _ in range(3))
    clock.now = 660.0 + 10  # 5/6 of the previous period's 3 still in the last minute
    assert not _allowed(throttle)
    clock.now = 660.0 + 25  # 7/12 of them: room for one
    assert _allowed(throttle) and not _allowed(throttle)
    clock.now = 660.0 + 55  # 1/12 of them: room for one more
    assert _allowed(throttle) and not _allowed(throttle)


def test_a_refused_request_is_not_counted():
    clock = Clock(600.0 + 1)
    throttle = _throttle(clock)
    assert all(_allowed(throttle) for _ in range(3))
    assert not any(_allowed(throttle) for _ in range(10))
    clock.now = 720.0 + 59  # the period with the refusals is the previous one, nearly out
    assert _allowed(throttle)


def test_each_token_is_counted_apart():
    throttle = _throttle(Clock(600.0 + 1))
    assert all(_allowed(throttle, "tok1") for _ in range(3))
    assert _allowed(throttle, "tok2")


@pytest.mark.redis
def test_on_redis_a_token_holds_two_integers():
    backend = RedisCache(settings.CELERY_BROKER_URL, {"KEY_PREFIX": "test-throttle"})
    backend.clear()
    try:
        clock = Clock(600.0 + 50)
        throttle = _throttle(clock, backend)
        assert [_allowed(throttle) for _ in range(4)] == [True, True, True, False]
        clock.now = 660.0 + 25
        assert _allowed(throttle) and not _allowed(throttle)
        assert backend.get("throttle_token_tok1:10") == 3
        assert backend.get("throttle_token_tok1:11") == 1
    finally:
        backend.clear()
