"""Catalogue of outbound SMS texts, keyed by message id and language.

Texts stay inside the GSM-7 alphabet (no naira sign, no curly quotes) so that a receipt fits
one 160-character segment.
"""

CATALOGUE = {
    "en": {
        "receipt.airtime_succeeded": "NexusTop: {amount} airtime sent to {recipient}. Ref {reference}. Balance {balance}.",
        "receipt.airtime_failed": "NexusTop: {amount} airtime to {recipient} failed. No money was taken. Ref {reference}.",
        "wallet.credited": "NexusTop: your wallet was credited with {amount}. Balance {balance}.",
    },
}


def render(message_id: str, language: str = "en", **params) -> str:
    """Fill in the text of `message_id`, falling back to English for a missing translation."""
    texts = CATALOGUE.get(language, CATALOGUE["en"])
    template = texts.get(message_id) or CATALOGUE["en"][message_id]
    return template.format(**params)
