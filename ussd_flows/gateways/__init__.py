"""Gateway adapters: each turns its gateway's request into a `Hop` and a `Reply` into its answer."""


class InvalidHopRequest(ValueError):
    """A gateway request is missing a field or carries a value we cannot use."""
