"""USSD session state in Redis, keyed by gateway and the gateway's session id."""

import json
from dataclasses import asdict, dataclass, field


@dataclass
class SessionState:
    """What the engine remembers between hops of one USSD session."""

    phone_number: str
    screen: str
    stack: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    seen_text: str = ""
    last_text: str = ""
    last_end: bool = False
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
