"""VTpass airtime and data (https://www.vtpass.com/documentation/).

Requests: `POST {base}/pay` and `POST {base}/requery` with the `api-key` and `secret-key`
headers. A `request_id` starts with the current Lagos date and time as `YYYYMMDDHHII` and is
followed by our reference. The answer's `code` and, for `000`, the inner
`content.transactions.status` decide the outcome (see STATUS_BY_CODE). VTpass documents that
any response outside its table, a timeout or no response at all means pending: requery, never
refund.
"""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import requests
from urllib3.exceptions import NewConnectionError

from providers.base import Outcome, Provider, ProviderResult, register
from providers.numbers import to_national

# Lagos time (WAT, UTC+1) has no daylight saving, so a fixed offset is exact.
LAGOS = timezone(timedelta(hours=1))
AIRTIME_SERVICE_IDS = {"mtn": "mtn", "airtel": "airtel", "glo": "glo", "9mobile": "etisalat"}
DATA_SERVICE_IDS = {"mtn": "mtn-data", "airtel": "airtel-data", "glo": "glo-data", "9mobile": "etisalat-data"}

# Response codes of VTpass's documentation and what each proves. Codes not listed are pending.
STATUS_BY_CODE = {
    "099": Outcome.UNKNOWN,  # still processing
    "044": Outcome.UNKNOWN,  # resolved by VTpass staff: ask them
    "014": Outcome.UNKNOWN,  # request id used before: the first request may be in flight
    "019": Outcome.UNKNOWN,  # likely duplicate within 30 s: the requery decides
    "015": Outcome.FAILED,  # requery of a request id VTpass never received
    "091": Outcome.FAILED,  # not processed, not charged
    "016": Outcome.FAILED,  # transaction failed
    "010": Outcome.FAILED,  # invalid variation code
    "011": Outcome.FAILED,  # invalid arguments
    "012": Outcome.FAILED,  # product does not exist
    "013": Outcome.FAILED,  # amount below the minimum
    "017": Outcome.FAILED,  # amount above the maximum
    "018": Outcome.FAILED,  # our VTpass wallet is too low
    "021": Outcome.FAILED,  # account locked
    "022": Outcome.FAILED,  # account suspended
    "023": Outcome.FAILED,  # API access not enabled
    "024": Outcome.FAILED,  # account inactive
}
# Inner `content.transactions.status` for codes 000 and 001.
STATUS_BY_TRANSACTION_STATUS = {
    "delivered": Outcome.SUCCEEDED,
    "reversed": Outcome.FAILED,
    "failed": Outcome.FAILED,
    "initiated": Outcome.UNKNOWN,
    "pending": Outcome.UNKNOWN,
    "resolved": Outcome.UNKNOWN,
}


def make_request_id(reference: str, now: datetime) -> str:
    """Return VTpass's request id for a reference: Lagos `YYYYMMDDHHII`, then the reference."""
    return now.astimezone(LAGOS).strftime("%Y%m%d%H%M") + reference


def interpret(answer) -> tuple[Outcome, str | None, str]:
    """Map a parsed VTpass response to (outcome, VTpass transaction id, detail)."""
    if not isinstance(answer, dict):
        return Outcome.UNKNOWN, None, "answer is not a JSON object"
    code = str(answer.get("code", ""))
    transaction = ((answer.get("content") or {}).get("transactions")) or {}
    transaction_id = transaction.get("transactionId")
    external_id = str(transaction_id) if transaction_id else None
    if code in {"000", "001"}:
        status = str(transaction.get("status", "")).lower()
        return STATUS_BY_TRANSACTION_STATUS.get(status, Outcome.UNKNOWN), external_id, f"code {code}, {status}"
    return STATUS_BY_CODE.get(code, Outcome.UNKNOWN), external_id, f"code {code or 'missing'}"


@register
class VTpassProvider(Provider):
    name = "vtpass"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        secret_key: str,
        connect_timeout_seconds: int,
        read_timeout_seconds: int,
        clock=lambda: datetime.now(timezone.utc),
    ):
        if not api_key or not secret_key:
            raise ValueError("VTpass needs VTPASS_API_KEY and VTPASS_SECRET_KEY")
        self.base_url = base_url.rstrip("/")
        self._headers = {"api-key": api_key, "secret-key": secret_key}
        self._timeout = (connect_timeout_seconds, read_timeout_seconds)
        self._clock = clock

    def new_request_id(self, reference):
        return make_request_id(reference, self._clock())

    def send_airtime(self, reference, phone_number, amount_minor, currency, network, request_id=None):
        request_id = request_id or self.new_request_id(reference)
        if currency != "NGN" or amount_minor % 100 or network not in AIRTIME_SERVICE_IDS:
            # VTpass sells whole naira of Nigerian networks; refuse before sending anything.
            return ProviderResult(Outcome.FAILED, None, f"not sellable: {amount_minor} {currency} {network}", {}, request_id)
        body = {
            "request_id": request_id,
            "serviceID": AIRTIME_SERVICE_IDS[network],
            "amount": amount_minor // 100,
            "phone": to_national(phone_number),
        }
        return self._post("pay", body, request_id)

    def send_data(self, reference, phone_number, plan_code, amount_minor, currency, network, request_id=None):
        request_id = request_id or self.new_request_id(reference)
        if network not in DATA_SERVICE_IDS:
            return ProviderResult(Outcome.FAILED, None, f"no VTpass data service for {network}", {}, request_id)
        # NOTE: the plan code is sent as VTpass's variation_code, so the catalogue's codes must
        # match VTpass's variations for the networks routed here.
        body = {
            "request_id": request_id,
            "serviceID": DATA_SERVICE_IDS[network],
            "billersCode": to_national(phone_number),
            "variation_code": plan_code,
            "phone": to_national(phone_number),
        }
        return self._post("pay", body, request_id)

    def fetch_variations(self, service_id: str, public_key: str) -> list[dict]:
        """Return VTpass's plans of a service as dicts of `code`, `name` and `amount_minor`.

        :raises requests.RequestException: VTpass could not be reached or returned an error.
        :raises ValueError: the response is not the documented shape.
        """
        response = requests.get(
            f"{self.base_url}/service-variations",
            params={"serviceID": service_id},
            headers={"api-key": self._headers["api-key"], "public-key": public_key},
            timeout=self._timeout,
        )
        response.raise_for_status()
        content = response.json().get("content") or {}
        # Older documentation spells the key "varations".
        variations = content.get("variations") or content.get("varations")
        if not isinstance(variations, list):
            raise ValueError(f"no variations in VTpass's response for {service_id}")
        plans = []
        for variation in variations:
            amount = Decimal(str(variation.get("variation_amount", "0")))
            plans.append(
                {
                    "code": str(variation["variation_code"]),
                    "name": str(variation.get("name", "")),
                    "amount_minor": int(amount * 100),
                }
            )
        return plans

    def requery(self, reference, phone_number, request_id=None):
        if request_id is None:
            return ProviderResult(Outcome.UNKNOWN, None, "no request id to requery with")
        return self._post("requery", {"request_id": request_id}, request_id)

    def _post(self, path: str, body: dict, request_id: str) -> ProviderResult:
        exchange = {"url": f"{self.base_url}/{path}", "request": body}
        try:
            response = requests.post(exchange["url"], json=body, headers=self._headers, timeout=self._timeout)
        except requests.ConnectTimeout as error:
            return ProviderResult(Outcome.FAILED, None, f"connect timeout: {error}", exchange, request_id, True)
        except requests.ConnectionError as error:
            if _never_connected(error):
                return ProviderResult(Outcome.FAILED, None, f"cannot connect: {error}", exchange, request_id, True)
            return ProviderResult(Outcome.UNKNOWN, None, f"connection lost: {error}", exchange, request_id, True)
        except requests.Timeout as error:
            return ProviderResult(Outcome.UNKNOWN, None, f"read timeout: {error}", exchange, request_id, True)
        exchange.update(status=response.status_code, response=response.text[:2000])
        try:
            answer = response.json()
        except ValueError:
            return ProviderResult(Outcome.UNKNOWN, None, f"HTTP {response.status_code}, not JSON", exchange, request_id)
        outcome, external_id, detail = interpret(answer)
        return ProviderResult(outcome, external_id, f"HTTP {response.status_code}, {detail}", exchange, request_id)


def _never_connected(error: requests.ConnectionError) -> bool:
    """Return whether the connection failed before any byte of the request was sent."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)
