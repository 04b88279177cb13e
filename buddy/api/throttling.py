"""Throttling of API token clients (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]``).

Counted in the cache as two integers per token, this period's and the previous one's
(a sliding window estimated from fixed ones: the previous count weighted by the share of it
still inside the last ``duration`` seconds). DRF's ``SimpleRateThrottle`` keeps instead the
list of every request's time in the window: each request read and wrote it whole, up to
6,000 floats at the production rate (a pickled list of ~50 KiB through Redis twice per
request, growing with the rate: it halved the reference's requests/s over a bench/api run).
Here a request costs one round trip to Redis (``SET NX`` + ``INCR`` + ``GET`` pipelined),
and a refused one a second (its count taken back, as DRF does not count refusals).
"""

import math
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

from buddy.models import ApiToken


class TokenClientThrottle(SimpleRateThrottle):
    """Requests authenticated by a personal token, counted per token; over the rate the
    answer is 429 with ``Retry-After``. Browser sessions are not throttled here (the login
    form has its own lock-out)."""

    scope = "token"
    cache = None  # the default cache (``caches["default"]``: the backend, not its proxy)
    timer = time.time

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.token_key}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        period = int(self.now // self.duration)
        self.elapsed = self.now - period * self.duration  # seconds into this period
        current_key, previous_key = f"{key}:{period}", f"{key}:{period - 1}"
        backend = caches["default"] if self.cache is None else self.cache
        self.current, self.previous = _count(backend, current_key, previous_key, self.duration)
        if self._estimate(self.current) <= self.num_requests:
            return True
        backend.decr(current_key)  # a refusal is not a request served
        self.current -= 1
        return False

    def _estimate(self, current: int) -> float:
        """Requests in the last ``duration`` seconds, the previous period's spread evenly."""
        share = 1.0 - self.elapsed / self.duration
        return current + self.previous * share

    def wait(self):
        """Seconds until one more request fits: when enough of the previous period has slid
        out of the window, or this period has ended (its count becomes the previous one)."""
        room = self.num_requests - self.current - 1
        left_in_period = self.duration - self.elapsed
        if room < 0 or not self.previous:
            return max(1.0, math.ceil(left_in_period))
        # current + 1 + previous * (1 - t / duration) <= num_requests at t seconds in
        fits_at = self.duration * (1.0 - room / self.previous)
        return max(1.0, math.ceil(min(fits_at - self.elapsed, left_in_period)))


def _count(cache, current_key: str, previous_key: str, duration: int) -> tuple[int, int]:
    """This period's count after adding one, and the previous period's: one round trip on
    Redis; the cache's own ``add``/``incr`` elsewhere (tests and ``make run``: memory)."""
    ttl = 2 * duration  # the counter is read as the previous one during the next period
    if isinstance(cache, RedisCache) and len(cache._cache._servers) == 1:  # both keys there
        current, previous = (cache.make_and_validate_key(k) for k in (current_key, previous_key))
        client = cache._cache.get_client(current, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.set(current, 0, ex=ttl, nx=True)
        pipe.incr(current)
        pipe.get(previous)
        _created, counted, before = pipe.execute()
        return int(counted), int(before or 0)
    cache.add(current_key, 0, ttl)
    return cache.incr(current_key), int(cache.get(previous_key) or 0)
