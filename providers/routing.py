"""Provider routes: an ordered list of providers per network and product kind.

`PROVIDER_ROUTES` is written as `network.kind=provider,provider;...` where `*` matches any
network or kind, for example `mtn.airtime=vtpass,sandbox;*.*=sandbox`. The most specific entry
wins; without any entry every route is `sandbox`.
"""

DEFAULT_PROVIDER = "sandbox"


def parse_routes(text: str) -> dict[tuple[str, str], list[str]]:
    """Parse the PROVIDER_ROUTES setting.

    :raises ValueError: an entry is not of the form `network.kind=provider[,provider]`.
    """
    routes: dict[tuple[str, str], list[str]] = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        key, _, names = entry.partition("=")
        network, _, kind = key.strip().partition(".")
        providers = [name.strip() for name in names.split(",") if name.strip()]
        if not network or not kind or not providers:
            raise ValueError(f"invalid PROVIDER_ROUTES entry {entry!r}: use network.kind=provider[,provider]")
        routes[(network.lower(), kind.lower())] = providers
    return routes


def providers_for(routes: dict[tuple[str, str], list[str]], network: str, kind: str) -> list[str]:
    """Return the ordered providers for a network and product kind."""
    for key in ((network, kind), (network, "*"), ("*", kind), ("*", "*")):
        if key in routes:
            return routes[key]
    return [DEFAULT_PROVIDER]


def choose_provider(
    routes: dict[tuple[str, str], list[str]],
    network: str,
    kind: str,
    cooling_down,
    tried: frozenset[str] = frozenset(),
) -> str | None:
    """Return the first provider of the route not tried yet and not cooling down.

    When every untried provider is cooling down the first untried one is returned anyway, so a
    purchase is never stuck for want of a healthy provider; None means every one was tried.
    """
    untried = [name for name in providers_for(routes, network, kind) if name not in tried]
    for name in untried:
        if not cooling_down(name):
            return name
    return untried[0] if untried else None
