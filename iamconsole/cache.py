"""Django's own Redis cache backend, made to fail soft.

Redis is a shared cache here, never the source of truth: policy documents
and sessions (the `cached_db` engine) are always in the database too. So an
unreachable Redis must cost speed, not availability: every cache call that
fails is logged and answered as a miss, and the caller goes to the database.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("iamconsole.cache")


def _soft(default_result):
    def decorate(method):
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (RedisError, OSError) as error:
                logger.warning("cache %s failed, falling back to the database: %s", method.__name__, error)
                return default_result() if callable(default_result) else default_result

        call.__name__ = method.__name__
        return call

    return decorate


class ResilientRedisCache(RedisCache):
    get_many = _soft(dict)(RedisCache.get_many)
    set = _soft(None)(RedisCache.set)
    set_many = _soft(list)(RedisCache.set_many)
    add = _soft(False)(RedisCache.add)
    delete = _soft(False)(RedisCache.delete)
    delete_many = _soft(None)(RedisCache.delete_many)
    touch = _soft(False)(RedisCache.touch)
    has_key = _soft(False)(RedisCache.has_key)
    incr = _soft(None)(RedisCache.incr)
    clear = _soft(None)(RedisCache.clear)

    def get(self, key, default=None, version=None):  # the soft get must honour its default
        try:
            return RedisCache.get(self, key, default, version)
        except (RedisError, OSError) as error:
            logger.warning("cache get failed, falling back to the database: %s", error)
            return default
