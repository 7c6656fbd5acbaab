"""Catalogue of USSD screen texts, keyed by message id and language.

Every text uses GSM-7 characters only and amounts are written as 'NGN 500', because handsets
and telcos render other characters badly and one of them shrinks the screen to 70 characters.
"""

CATALOGUE = {
    "en": {
        "onboarding.new_pin": "Welcome to NexusTop.\nCreate a 4-digit PIN:",
        "onboarding.confirm_pin": "Enter the same PIN again to confirm:",
        "onboarding.pin_mismatch": "The PINs did not match.",
        "onboarding.pin_invalid": "A PIN is 4 digits.",
        "onboarding.done": "PIN created.",
        "main.title": "NexusTop",
        "main.buy_airtime": "Buy Airtime",
        "main.my_wallet": "My Wallet",
        "airtime.amount": "Enter airtime amount (NGN {min} - {max}):",
        "airtime.amount_invalid": "Enter a whole amount from {min} to {max}.",
        "airtime.network": "Choose the network of the number:",
        "airtime.confirm": "Buy {amount} airtime for {recipient}?",
        "airtime.pin": "Enter your PIN to pay {amount}:",
        "airtime.placed": "Request received. Ref {reference}.\nYou will receive an SMS shortly.",
        "airtime.insufficient": "Your balance {available} is not enough for {amount}. Fund your wallet and try again. No money was taken.",
        "airtime.daily_limit": "This would pass your daily spending limit of {limit}. Try a smaller amount or try again tomorrow. No money was taken.",
        "wallet.balance": "Balance: {available}\nOn hold: {on_hold}",
        "pin.wrong": "Wrong PIN. {attempts_left} attempt(s) left.",
        "pin.locked": "Too many wrong PINs. Purchases are locked until {until} (WAT). No money was taken.",
        "common.confirm": "1. Confirm",
        "common.cancel": "2. Cancel",
        "common.back": "0. Back",
        "common.home": "00. Main menu",
        "common.invalid_choice": "Invalid choice.",
        "common.cancelled": "Cancelled. No money was taken.",
        "common.goodbye": "Thank you for using NexusTop.",
        "common.too_many_invalid": "Too many invalid answers. Dial {service_code} to start again.",
        "common.busy": "Your last answer is still being processed. Wait for the SMS, or dial again in a minute.",
        "common.apology": "Sorry, something went wrong. No money was taken. Please try again later.",
    },
}


def translate(message_id: str, language: str = "en", **params) -> str:
    """Fill in the text of `message_id`, falling back to English for a missing translation."""
    texts = CATALOGUE.get(language, CATALOGUE["en"])
    template = texts.get(message_id) or CATALOGUE["en"][message_id]
    return template.format(**params) if params else template
