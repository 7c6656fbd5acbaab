"""Catalogue of outbound SMS texts, keyed by message id and language.

Texts stay inside the GSM-7 alphabet (no naira sign, no curly quotes) so that a receipt fits
one 160-character segment. Languages: `en` (English) and `pcm` (Nigerian Pidgin), with the
same keys and placeholders.
"""

CATALOGUE = {
    "en": {
        "receipt.airtime_succeeded": "NexusTop: {amount} airtime sent to {recipient}. Ref {reference}. Balance {balance}.",
        "receipt.airtime_failed": "NexusTop: {amount} airtime to {recipient} failed. No money was taken. Ref {reference}.",
        "receipt.airtime_failed_retry_later": "NexusTop: {recipient} was topped up moments ago, so {amount} airtime was not sent. No money was taken. Try again in a few minutes. Ref {reference}.",
        "receipt.data_succeeded": "NexusTop: {product} data sent to {recipient} for {amount}. Ref {reference}. Balance {balance}.",
        "receipt.data_failed": "NexusTop: {product} data to {recipient} failed. No money was taken. Ref {reference}.",
        "wallet.credited": "NexusTop: your wallet was credited with {amount}. Balance {balance}.",
        "wallet.funding_instructions": "NexusTop: to add {amount} to your wallet, pay cash to any NexusTop agent and give them your number {phone}. Your wallet is credited at once.",
        "pin.locked_alert": "NexusTop: 3 wrong PINs were entered. Purchases are locked until {until} WAT. If this was not you, call NexusTop support.",
        "pin.changed": "NexusTop: your PIN was changed. If you did not do this, call NexusTop support at once.",
    },
    "pcm": {
        "receipt.airtime_succeeded": "NexusTop: {amount} airtime don enter {recipient}. Ref {reference}. Balance {balance}.",
        "receipt.airtime_failed": "NexusTop: {amount} airtime to {recipient} no work. We no collect your money. Ref {reference}.",
        "receipt.airtime_failed_retry_later": "NexusTop: {recipient} just recharge now now, so {amount} airtime no go. We no collect your money. Try again after few minutes. Ref {reference}.",
        "receipt.data_succeeded": "NexusTop: {product} data don enter {recipient} for {amount}. Ref {reference}. Balance {balance}.",
        "receipt.data_failed": "NexusTop: {product} data to {recipient} no work. We no collect your money. Ref {reference}.",
        "wallet.credited": "NexusTop: {amount} don enter your wallet. Balance {balance}.",
        "wallet.funding_instructions": "NexusTop: to add {amount} to your wallet, pay cash to any NexusTop agent and give am your number {phone}. The money go enter your wallet sharp sharp.",
        "pin.locked_alert": "NexusTop: somebody put wrong PIN 3 times. You no fit buy until {until} WAT. If no be you, call NexusTop support.",
        "pin.changed": "NexusTop: your PIN don change. If no be you do am, call NexusTop support now now.",
    },
}


def render(message_id: str, language: str = "en", **params) -> str:
    """Fill in the text of `message_id`, falling back to English for a missing translation."""
    texts = CATALOGUE.get(language, CATALOGUE["en"])
    template = texts.get(message_id) or CATALOGUE["en"][message_id]
    return template.format(**params)
