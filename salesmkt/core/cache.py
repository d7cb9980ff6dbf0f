"""A Redis cache that degrades instead of failing the request when Redis is down.

The cache holds only counters and copies (API throttling, sign-in lockouts found in the
database, see login_throttle.py): losing them for the length of an outage is better than refusing
every order and invoice, and a sign-in lockout holds regardless, counted from the database. A call that cannot reach Redis logs a
warning and answers as an empty cache would; short socket timeouts (OPTIONS) keep a request from
waiting on a dead server, and after a failure the process leaves Redis alone for
`CACHE_BACKOFF_SECONDS`: a frozen Redis (it accepts connections and never answers) costs one
request one timeout, not every cache call of every request.
"""

from __future__ import annotations

import functools
import logging
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

_down_until = 0.0


def _degrade(fallback):
    """Wrap a cache method: when Redis cannot be reached, answer `fallback(*args, **kwargs)`."""

    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            global _down_until
            if time.monotonic() < _down_until:
                return fallback(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                _down_until = time.monotonic() + settings.CACHE_BACKOFF_SECONDS
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
