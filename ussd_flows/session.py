"""USSD session state in Redis, keyed by gateway and the gateway's session id."""

import json
import secrets
import time
from dataclasses import asdict, dataclass, field

# A hop that takes longer than the gateway's own limit (about 15 s) is lost anyway.
LOCK_TIMEOUT_SECONDS = 20
LOCK_WAIT_SECONDS = 10
LOCK_POLL_MILLISECONDS = 20
# A cached profile (language, PIN set) may be this old; changes through USSD clear it at once.
PROFILE_TTL_SECONDS = 300


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


@dataclass(frozen=True)
class Checkout:
    """A locked session: its lock token, its state, and what a new session needs to start."""

    token: str
    state: SessionState | None
    profile: dict | None
    resume: dict | None


# Take the session's lock and read its state, the caller's cached profile and any unfinished
# order, in one round trip. KEYS: lock, state, profile, resume; ARGV: token, lock ttl (ms).
_ACQUIRE = """
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return {0}
end
return {1, redis.call('get', KEYS[2]), redis.call('get', KEYS[3]), redis.call('get', KEYS[4])}
"""

# Save the state (when given) and release the lock if it is still ours, in one round trip.
# KEYS: lock, state; ARGV: token, state JSON or '', state ttl (s).
_RELEASE = """
if ARGV[2] ~= '' then
    redis.call('set', KEYS[2], ARGV[2], 'EX', ARGV[3])
end
if redis.call('get', KEYS[1]) == ARGV[1] then
    redis.call('del', KEYS[1])
end
return 1
"""


class SessionStore:
    """USSD sessions as JSON under `ussd:<gateway>:<session id>`, one hop at a time.

    A hop checks its session out (taking the lock) and checks it back in (saving it and
    releasing the lock), so a copy of a hop sent at the same time waits and then gets the
    stored screen instead of acting a second time.
    """

    def __init__(self, redis, ttl_seconds: int, profile_ttl_seconds: int = PROFILE_TTL_SECONDS):
        self._redis = redis
        self._ttl_seconds = ttl_seconds
        self._profile_ttl_seconds = profile_ttl_seconds
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)

    @staticmethod
    def _key(gateway: str, session_id: str) -> str:
        return f"ussd:{gateway}:{session_id}"

    @staticmethod
    def _profile_key(phone_number: str) -> str:
        return f"ussd:profile:{phone_number}"

    def check_out(self, gateway: str, session_id: str, phone_number: str) -> Checkout:
        """Lock the session and read it.

        :raises SessionBusy: the session stayed locked for LOCK_WAIT_SECONDS.
        """
        key = self._key(gateway, session_id)
        token = secrets.token_hex(8)
        keys = [f"{key}:lock", key, self._profile_key(phone_number), ResumeStore.key(phone_number)]
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            answer = self._acquire(keys=keys, args=[token, LOCK_TIMEOUT_SECONDS * 1000])
            if answer[0] == 1:
                state, profile, resume = (_json(value) for value in answer[1:4])
                return Checkout(token, SessionState(**state) if state else None, profile, resume)
            if time.monotonic() >= deadline:
                raise SessionBusy(session_id)
            time.sleep(LOCK_POLL_MILLISECONDS / 1000)

    def check_in(self, gateway: str, session_id: str, token: str, state: SessionState | None) -> None:
        """Save the state (None keeps the stored one) and release the lock."""
        key = self._key(gateway, session_id)
        payload = json.dumps(asdict(state)) if state is not None else ""
        self._release(keys=[f"{key}:lock", key], args=[token, payload, self._ttl_seconds])

    def load(self, gateway: str, session_id: str) -> SessionState | None:
        """Read a session's state without locking it (for tests and support tools)."""
        raw = self._redis.get(self._key(gateway, session_id))
        return SessionState(**json.loads(raw)) if raw is not None else None

    def end(self, gateway: str, session_id: str) -> None:
        """Mark a session ended by the gateway (cancel, timeout), so its id cannot go on."""
        state = self.load(gateway, session_id)
        if state is not None:
            state.ended = True
            self._redis.set(self._key(gateway, session_id), json.dumps(asdict(state)), ex=self._ttl_seconds)

    def cache_profile(self, phone_number: str, profile: dict) -> None:
        """Remember a registered caller's profile so the next session starts without the database."""
        self._redis.set(self._profile_key(phone_number), json.dumps(profile), ex=self._profile_ttl_seconds)

    def forget_profile(self, phone_number: str) -> None:
        self._redis.delete(self._profile_key(phone_number))


def _json(raw):
    return json.loads(raw) if raw is not None else None


class ResumeStore:
    """Orders confirmed but not paid for, by phone number, kept for `ttl_seconds`.

    A session that times out between the confirmation and the PIN leaves its order here, and
    the caller's next dial offers to finish it.
    """

    def __init__(self, redis, ttl_seconds: int):
        self._redis = redis
        self._ttl_seconds = ttl_seconds

    @staticmethod
    def key(phone_number: str) -> str:
        return f"ussd:resume:{phone_number}"

    def save(self, phone_number: str, order: dict) -> None:
        self._redis.set(self.key(phone_number), json.dumps(order), ex=self._ttl_seconds)

    def load(self, phone_number: str) -> dict | None:
        raw = self._redis.get(self.key(phone_number))
        return json.loads(raw) if raw is not None else None

    def clear(self, phone_number: str) -> None:
        self._redis.delete(self.key(phone_number))
