"""A Redis cache that degrades instead of failing the request when Redis is down.

The cache holds only counters (API throttling, sign-in failures): losing them for the length of
an outage is better than refusing every order and invoice. A call that cannot reach Redis logs a
warning and answers as an empty cache would; short socket timeouts (OPTIONS) keep a request from
waiting on a dead server.
"""

from __future__ import annotations

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _degrade(fallback):
    """Wrap a cache method: when Redis cannot be reached, answer `fallback(*args, **kwargs)`."""

    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                log.warning("cache unavailable, %s answered as empty: %s", method.__name__, exc)
                return fallback(*args, **kwargs)

        return wrapper

    return decorator


def _default(key, default=None, *args, **kwargs):
    return default


def _nothing(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


def _empty(*args, **kwargs):
    return {}


def _delta(key, delta=1, *args, **kwargs):
    return delta


class ResilientRedisCache(RedisCache):
    get = _degrade(_default)(RedisCache.get)
    get_many = _degrade(_empty)(RedisCache.get_many)
    has_key = _degrade(_false)(RedisCache.has_key)
    add = _degrade(_false)(RedisCache.add)
    set = _degrade(_nothing)(RedisCache.set)
    set_many = _degrade(lambda *args, **kwargs: [])(RedisCache.set_many)
    touch = _degrade(_false)(RedisCache.touch)
    delete = _degrade(_false)(RedisCache.delete)
    delete_many = _degrade(_nothing)(RedisCache.delete_many)
    incr = _degrade(_delta)(RedisCache.incr)
    clear = _degrade(_false)(RedisCache.clear)
