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
    outcome: Outcome
    external_id: str | None = None
    detail: str = ""
    exchange: dict = field(default_factory=dict)


class Provider:
    """An adapter for one airtime or data provider."""

    name: str = ""

    def send_airtime(
        self, reference: str, phone_number: str, amount_minor: int, currency: str, network: str
    ) -> ProviderResult:
        """Ask the provider to deliver airtime, with our reference as its request id."""
        raise NotImplementedError

    def send_data(
        self, reference: str, phone_number: str, plan_code: str, amount_minor: int, currency: str, network: str
    ) -> ProviderResult:
        """Ask the provider to deliver a data plan, with our reference as its request id."""
        raise NotImplementedError

    def requery(self, reference: str, phone_number: str) -> ProviderResult:
        """Ask the provider what became of the request sent with this reference."""
        raise NotImplementedError


_PROVIDERS: dict[str, type[Provider]] = {}


def register(provider_class: type[Provider]) -> type[Provider]:
    _PROVIDERS[provider_class.name] = provider_class
    return provider_class


def get_provider(name: str, settings: dict | None = None) -> Provider:
    """Build the adapter registered under `name` with the given settings.

    :raises KeyError: no adapter has this name.
    """
    import providers.sandbox  # noqa: F401  (registers itself)

    return _PROVIDERS[name](**(settings or {}))
