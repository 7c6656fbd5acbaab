"""Reloadly airtime top-ups (https://docs.reloadly.com/airtime/).

A client-credentials token from `{auth}/oauth/token` (audience: the top-ups host) is cached
until shortly before it expires, and a `401 TOKEN_EXPIRED` refreshes it once and repeats the
call. The operator comes from Reloadly's auto-detect by phone number, never from the caller.
`customIdentifier` carries our request id: a second use of it is rejected with
`CUSTOM_IDENTIFIER_ALREADY_USED`, which means the first top-up was processed, so it is
`unknown` and found again through the transactions report, never refunded.
"""

import threading
import time

import requests

from providers.base import Outcome, Provider, ProviderResult, register

ACCEPT = "application/com.reloadly.topups-v1+json"
# Seconds before the token's stated expiry at which a new one is fetched.
TOKEN_MARGIN_SECONDS = 60
STATUS_BY_TOPUP_STATUS = {
    "SUCCESSFUL": Outcome.SUCCEEDED,
    "PROCESSING": Outcome.UNKNOWN,
    "REFUNDED": Outcome.FAILED,
    "FAILED": Outcome.FAILED,
}
# Error codes of a rejected request that mean the top-up may exist after all.
UNKNOWN_ERROR_CODES = {"CUSTOM_IDENTIFIER_ALREADY_USED"}
# Refusals that pass by themselves: Reloadly refuses a second top-up to a number within minutes.
RETRY_LATER_ERROR_CODES = {"PHONE_RECENTLY_RECHARGED"}

# (client id, top-ups host) -> (token, when it is due for renewal on the time.monotonic clock)
_tokens: dict = {}
_tokens_lock = threading.Lock()


class _TransportFailure(Exception):
    def __init__(self, result: ProviderResult):
        super().__init__(result.detail)
        self.result = result


@register
class ReloadlyProvider(Provider):
    name = "reloadly"

    def __init__(
        self,
        base_url: str,
        auth_url: str,
        client_id: str,
        client_secret: str,
        connect_timeout_seconds: int,
        read_timeout_seconds: int,
    ):
        if not client_id or not client_secret:
            raise ValueError("Reloadly needs RELOADLY_CLIENT_ID and RELOADLY_CLIENT_SECRET")
        self.base_url = base_url.rstrip("/")
        self.auth_url = auth_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = (connect_timeout_seconds, read_timeout_seconds)

    def send_airtime(self, reference, phone_number, amount_minor, currency, network, request_id=None):
        request_id = request_id or reference
        if currency != "NGN" or amount_minor % 100 or not phone_number.startswith("+234"):
            return ProviderResult(Outcome.FAILED, None, f"not sellable: {amount_minor} {currency}", {}, request_id)
        exchange: dict = {}
        try:
            detected = self._call("GET", f"/operators/auto-detect/phone/{phone_number[1:]}/countries/NG", exchange)
            if detected.status_code != 200 or not isinstance(detected.json(), dict):
                # Nothing was sent yet, so no top-up can exist.
                return ProviderResult(Outcome.FAILED, None, f"operator not detected: HTTP {detected.status_code}", exchange, request_id)
            body = {
                "operatorId": detected.json().get("operatorId"),
                "amount": amount_minor // 100,
                "useLocalAmount": True,
                "customIdentifier": request_id,
                "recipientPhone": {"countryCode": "NG", "number": phone_number},
            }
            response = self._call("POST", "/topups", exchange, json=body, sent=True)
        except _TransportFailure as failure:
            return failure.result
        return self._interpret(response, exchange, request_id)

    def requery(self, reference, phone_number, request_id=None):
        request_id = request_id or reference
        exchange: dict = {}
        try:
            response = self._call(
                "GET", "/topups/reports/transactions", exchange, params={"customIdentifier": request_id}, sent=True
            )
        except _TransportFailure as failure:
            return failure.result
        try:
            content = response.json().get("content") or []
        except (ValueError, AttributeError):
            return ProviderResult(Outcome.UNKNOWN, None, f"HTTP {response.status_code}, not JSON", exchange, request_id)
        if response.status_code != 200 or not content:
            return ProviderResult(Outcome.UNKNOWN, None, f"HTTP {response.status_code}, not in the report yet", exchange, request_id)
        return self._from_transaction(content[0], response.status_code, exchange, request_id)

    def _interpret(self, response, exchange, request_id) -> ProviderResult:
        try:
            answer = response.json()
        except ValueError:
            return ProviderResult(Outcome.UNKNOWN, None, f"HTTP {response.status_code}, not JSON", exchange, request_id)
        if response.status_code >= 500 or not isinstance(answer, dict):
            return ProviderResult(Outcome.UNKNOWN, None, f"HTTP {response.status_code}", exchange, request_id)
        if response.status_code >= 400:
            code = str(answer.get("errorCode", ""))
            outcome = Outcome.UNKNOWN if code in UNKNOWN_ERROR_CODES else Outcome.FAILED
            detail = f"HTTP {response.status_code} {code}: {answer.get('message', '')}"[:200]
            return ProviderResult(
                outcome, None, detail, exchange, request_id, retry_later=code in RETRY_LATER_ERROR_CODES
            )
        return self._from_transaction(answer, response.status_code, exchange, request_id)

    @staticmethod
    def _from_transaction(transaction: dict, status_code: int, exchange, request_id) -> ProviderResult:
        status = str(transaction.get("status", ""))
        transaction_id = transaction.get("transactionId")
        outcome = STATUS_BY_TOPUP_STATUS.get(status, Outcome.UNKNOWN)
        external_id = str(transaction_id) if transaction_id else None
        return ProviderResult(outcome, external_id, f"HTTP {status_code}, {status or 'no status'}", exchange, request_id)

    def _call(self, method: str, path: str, exchange: dict, sent: bool = False, **arguments):
        """Make an authorised call, refreshing the token once on 401 TOKEN_EXPIRED.

        :raises _TransportFailure: the call failed in transport; `sent` tells whether a failure
            after connecting may have left a top-up behind (unknown) or not (failed).
        """
        exchange.setdefault("calls", []).append({"method": method, "path": path, **arguments})
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token(refresh=attempt == 2)}", "Accept": ACCEPT}
            try:
                response = requests.request(
                    method, f"{self.base_url}{path}", headers=headers, timeout=self._timeout, **arguments
                )
            except requests.ConnectTimeout as error:
                raise _TransportFailure(ProviderResult(Outcome.FAILED, None, f"connect timeout: {error}", exchange, None, True))
            except (requests.ConnectionError, requests.Timeout) as error:
                outcome = Outcome.UNKNOWN if sent else Outcome.FAILED
                raise _TransportFailure(ProviderResult(outcome, None, f"transport: {error}", exchange, None, True))
            exchange["calls"][-1].update(status=response.status_code, response=response.text[:2000])
            if response.status_code == 401 and "TOKEN_EXPIRED" in response.text and attempt == 1:
                continue
            return response
        return response

    def _token(self, refresh: bool = False) -> str:
        key = (self._client_id, self.base_url)
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached and not refresh and cached[1] > time.monotonic():
                return cached[0]
            try:
                response = requests.post(
                    f"{self.auth_url}/oauth/token",
                    json={
                        "client_id": self._client_id,
                        "client_secret": self._client_secret,
                        "grant_type": "client_credentials",
                        "audience": self.base_url,
                    },
                    timeout=self._timeout,
                )
                answer = response.json()
                token, expires_in = answer["access_token"], int(answer.get("expires_in", 0))
            except (requests.RequestException, ValueError, KeyError, TypeError) as error:
                raise _TransportFailure(
                    ProviderResult(Outcome.FAILED, None, f"no Reloadly token: {error}"[:200], {}, None, True)
                )
            _tokens[key] = (token, time.monotonic() + max(expires_in - TOKEN_MARGIN_SECONDS, 0))
            return token
