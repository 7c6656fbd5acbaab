"""The customer's USSD menu, described as data over the screen types.

Screens reach the wallet only through `context.wallet` (a `wallet.service.WalletService`).
"""

from ussd_flows.menus import account, onboarding, purchase

MAIN = "main"
ROOT_REGISTERED = MAIN
ROOT_NEW_CALLER = onboarding.LANGUAGE
ONBOARDING = onboarding.SCREENS_WITHOUT_WAY_BACK
ORDER_FIELDS = purchase.ORDER_FIELDS
start_speed_dial = purchase.start_speed_dial

MENU = {**onboarding.SCREENS, **purchase.screens(), **account.SCREENS}
