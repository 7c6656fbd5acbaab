"""Airtime and data providers, phone numbers and network detection.

This package does not import the wallet: adapters take a reference, a phone
number and an amount, and return an outcome.
"""

from providers.base import Outcome, ProviderResult, get_provider

__all__ = ["Outcome", "ProviderResult", "get_provider"]
