"""The Redis cache backend of every process (``CACHES`` when ``REDIS_URL`` is set).

Django's ``RedisCache`` builds a new ``redis.Redis`` client for every cache operation; with
redis-py 6+ each one builds its table of response callbacks (~100 entries), about 0.3 ms of
CPU on a quiet core (1.7 ms under load: bench/README.md, API) — three times in every API
request before the throttle counted in one round trip. A client is thread-safe and holds no
connection of its own (its pool does), so one per pool serves the process.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
