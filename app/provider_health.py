"""Which providers are cooling down after repeated transport failures (state in Redis).

Every web and worker process shares the state, so a provider that stops answering is skipped
by all of them at once, and comes back by itself when the cool-down expires.
"""

import logging

from app.queue import get_redis

log = logging.getLogger(__name__)

FAILURES_BEFORE_COOLDOWN = 3
FAILURE_WINDOW_SECONDS = 60
COOLDOWN_SECONDS = 120


def record_transport_failure(provider: str) -> None:
    """Count a failure to reach `provider`; the third within a minute starts its cool-down."""
    redis = get_redis()
    key = f"provider:failures:{provider}"
    count = redis.incr(key)
    if count == 1:
        redis.expire(key, FAILURE_WINDOW_SECONDS)
    if count >= FAILURES_BEFORE_COOLDOWN:
        redis.set(f"provider:cooldown:{provider}", 1, ex=COOLDOWN_SECONDS)
        redis.delete(key)
        log.warning("provider %s: %s transport failures, skipped for %s s", provider, count, COOLDOWN_SECONDS)


def is_cooling_down(provider: str) -> bool:
    return bool(get_redis().exists(f"provider:cooldown:{provider}"))
