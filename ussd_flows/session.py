"""USSD session state in Redis, keyed by gateway and the gateway's session id."""

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from redis.exceptions import LockError

# A hop that takes longer than the gateway's own limit (about 15 s) is lost anyway.
LOCK_TIMEOUT_SECONDS = 20
LOCK_WAIT_SECONDS = 10


class SessionBusy(Exception):
    """Another hop of the same session is still being handled."""


@dataclass
class SessionState:
    """State the engine keeps between hops of one USSD session."""

    phone_number: str
    screen: str
    stack: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    seen_text: str = ""
    last_text: str = ""
    last_end: bool = False
    ended: bool = False
    invalid_inputs: int = 0
    hops: int = 0


class SessionStore:
    """Load and save session state as JSON under `ussd:<gateway>:<session id>`."""

    def __init__(self, redis, ttl_seconds: int):
        self._redis = redis
        self._ttl_seconds = ttl_seconds

    @staticmethod
    def _key(gateway: str, session_id: str) -> str:
        return f"ussd:{gateway}:{session_id}"

    def load(self, gateway: str, session_id: str) -> SessionState | None:
        raw = self._redis.get(self._key(gateway, session_id))
        if raw is None:
            return None
        return SessionState(**json.loads(raw))

    def save(self, gateway: str, session_id: str, state: SessionState) -> None:
        self._redis.set(self._key(gateway, session_id), json.dumps(asdict(state)), ex=self._ttl_seconds)

    @contextmanager
    def lock(self, gateway: str, session_id: str):
        """Hold the session while one hop is handled, so a copy of that hop sent at the same
        time waits and then gets the stored screen instead of acting a second time.

        :raises SessionBusy: the session stayed locked for LOCK_WAIT_SECONDS.
        """
        lock = self._redis.lock(
            f"{self._key(gateway, session_id)}:lock",
            timeout=LOCK_TIMEOUT_SECONDS,
            blocking_timeout=LOCK_WAIT_SECONDS,
        )
        if not lock.acquire():
            raise SessionBusy(session_id)
        try:
            yield
        finally:
            try:
                lock.release()
            except LockError:
                # It expired after LOCK_TIMEOUT_SECONDS; another hop may hold it now.
                pass


class ResumeStore:
    """Orders confirmed but not paid for, by phone number, kept for `ttl_seconds`.

    A session that times out between the confirmation and the PIN leaves its order here, and
    the caller's next dial offers to finish it.
    """

    def __init__(self, redis, ttl_seconds: int):
        self._redis = redis
        self._ttl_seconds = ttl_seconds

    @staticmethod
    def _key(phone_number: str) -> str:
        return f"ussd:resume:{phone_number}"

    def save(self, phone_number: str, order: dict) -> None:
        self._redis.set(self._key(phone_number), json.dumps(order), ex=self._ttl_seconds)

    def load(self, phone_number: str) -> dict | None:
        raw = self._redis.get(self._key(phone_number))
        return json.loads(raw) if raw is not None else None

    def clear(self, phone_number: str) -> None:
        self._redis.delete(self._key(phone_number))
