"""A deterministic stand-in provider for the embedded default, demos and load tests.

The outcome depends only on the last two digits of the recipient's number:

| last digits | `send_airtime`, `send_data` | `requery` |
| --- | --- | --- |
| `99` | failed (refused) | failed |
| `98` | unknown (timed out) | succeeded |
| `97` | unknown | unknown |
| any other | succeeded | succeeded |
"""

import time

from providers.base import Outcome, Provider, ProviderResult, register

REFUSED_SUFFIX = "99"
TIMEOUT_THEN_SUCCESS_SUFFIX = "98"
STAYS_UNKNOWN_SUFFIX = "97"


@register
class SandboxProvider(Provider):
    name = "sandbox"

    def __init__(self, latency_ms: int = 0):
        self.latency_ms = latency_ms

    def send_airtime(self, reference, phone_number, amount_minor, currency, network, request_id=None):
        request = {"reference": reference, "phone_number": phone_number, "amount_minor": amount_minor}
        return self._answer(reference, phone_number, request)

    def send_data(self, reference, phone_number, plan_code, amount_minor, currency, network, request_id=None):
        request = {"reference": reference, "phone_number": phone_number, "plan_code": plan_code}
        return self._answer(reference, phone_number, request)

    def _answer(self, reference, phone_number, request) -> ProviderResult:
        self._wait()
        exchange = {"request": request}
        if phone_number.endswith(REFUSED_SUFFIX):
            return ProviderResult(Outcome.FAILED, None, "refused by the sandbox", exchange, reference)
        if phone_number.endswith((TIMEOUT_THEN_SUCCESS_SUFFIX, STAYS_UNKNOWN_SUFFIX)):
            return ProviderResult(Outcome.UNKNOWN, None, "sandbox timed out", exchange, reference)
        return ProviderResult(Outcome.SUCCEEDED, f"SBX-{reference}", "delivered", exchange, reference)

    def requery(self, reference, phone_number, request_id=None):
        self._wait()
        if phone_number.endswith(REFUSED_SUFFIX):
            return ProviderResult(Outcome.FAILED, None, "refused by the sandbox")
        if phone_number.endswith(STAYS_UNKNOWN_SUFFIX):
            return ProviderResult(Outcome.UNKNOWN, None, "sandbox still pending")
        return ProviderResult(Outcome.SUCCEEDED, f"SBX-{reference}", "delivered")

    def _wait(self) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
