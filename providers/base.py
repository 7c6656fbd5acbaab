"""The outcome every provider adapter returns, and the registry of adapters."""

import enum
from dataclasses import dataclass, field


class Outcome(enum.StrEnum):
    """What a provider call proved.

    `failed` means the provider refused before accepting the request, so the hold may be voided
    or the next provider tried; `unknown` (a timeout after sending, a 5xx, a pending status)
    means it may still be delivered, so the purchase is requeried and never refunded yet.
    """

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ProviderResult:
    """What one call to a provider returned.

    `request_id` is the id the request was sent under (the provider's format may add to our
    reference), to be kept for requeries; `exchange` is the request and response with every
    credential left out, to be stored against the purchase.
    """

    outcome: Outcome
    external_id: str | None = None
    detail: str = ""
    exchange: dict = field(default_factory=dict)
    request_id: str | None = None
    # True when the provider could not be reached or did not respond in time.
    transport_failure: bool = False
    # True for a refusal that passes by itself (the number was topped up moments ago), so the
    # SMS asks the customer to try again in a few minutes.
    retry_later: bool = False


class Provider:
    """An adapter for one airtime or data provider."""

    name: str = ""

    def new_request_id(self, reference: str) -> str:
        """Return the id to send a new request for `reference` under.

        The caller stores it before sending, so a worker that dies mid-call leaves the id to
        requery with.
        """
        return reference

    def send_airtime(
        self, reference: str, phone_number: str, amount_minor: int, currency: str, network: str, request_id: str
    ) -> ProviderResult:
        """Ask the provider to deliver airtime under `request_id`."""
        raise NotImplementedError

    def send_data(
        self,
        reference: str,
        phone_number: str,
        plan_code: str,
        amount_minor: int,
        currency: str,
        network: str,
        request_id: str,
    ) -> ProviderResult:
        """Ask the provider to deliver a data plan under `request_id`."""
        raise NotImplementedError

    def requery(self, reference: str, phone_number: str, request_id: str | None = None) -> ProviderResult:
        """Ask the provider what became of the request sent with this reference (or request id)."""
        raise NotImplementedError


_PROVIDERS: dict[str, type[Provider]] = {}


def register(provider_class: type[Provider]) -> type[Provider]:
    _PROVIDERS[provider_class.name] = provider_class
    return provider_class


def get_provider(name: str, settings: dict | None = None) -> Provider:
    """Build the adapter registered under `name` with the given settings.

    :raises KeyError: no adapter has this name.
    """
    import providers.africastalking  # noqa: F401  (each registers itself)
    import providers.reloadly  # noqa: F401
    import providers.sandbox  # noqa: F401
    import providers.vtpass  # noqa: F401

    return _PROVIDERS[name](**(settings or {}))
