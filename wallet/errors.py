"""Named errors of the wallet; the channels turn each into a plain message."""


class WalletError(Exception):
    """Base class of every error the wallet raises on purpose."""


class InvalidAmount(WalletError):
    """An amount is not a positive whole number of minor units, or is outside the limits."""


class ExceedsCredits(WalletError):
    """A debit would take an account with `debits_must_not_exceed_credits` below zero."""

    def __init__(self, account_id: int, amount_minor: int):
        super().__init__(f"account {account_id}: debit of {amount_minor} exceeds its credits")
        self.account_id = account_id
        self.amount_minor = amount_minor


class LimitExceeded(WalletError):
    """A transfer would break a tier limit: `max_balance` or `max_daily_debits`."""

    def __init__(self, account_id: int, limit: str, limit_minor: int):
        super().__init__(f"account {account_id}: transfer would exceed {limit} of {limit_minor}")
        self.account_id = account_id
        self.limit = limit
        self.limit_minor = limit_minor


class IdempotencyConflict(WalletError):
    """An idempotency key was replayed with different parameters than its first use."""

    def __init__(self, idempotency_key: str):
        super().__init__(f"idempotency key {idempotency_key!r} was used with other parameters")
        self.idempotency_key = idempotency_key


class PendingTransferNotFound(WalletError):
    """A post or void names a transfer that does not exist or is not pending."""


class PendingTransferAlreadyPosted(WalletError):
    """A pending transfer was posted already, so it cannot be posted or voided again."""


class PendingTransferAlreadyVoided(WalletError):
    """A pending transfer was voided already, so it cannot be posted or voided again."""


class InvalidPhoneNumber(WalletError):
    """A phone number cannot be parsed as a valid number of the configured region."""


class CustomerNotFound(WalletError):
    """No customer has this phone number."""


class CustomerExists(WalletError):
    """A customer with this phone number is registered already."""


class InvalidPin(WalletError):
    """A new PIN is not four digits or is easy to guess; `reason` names the rule it breaks."""

    def __init__(self, reason: str):
        super().__init__(f"PIN rejected: {reason}")
        self.reason = reason


class PinLocked(WalletError):
    """Too many wrong PINs: purchases are locked until `locked_until`."""

    def __init__(self, locked_until):
        super().__init__(f"purchases locked until {locked_until.isoformat()}")
        self.locked_until = locked_until
