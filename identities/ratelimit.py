"""The network a client address is counted by."""

from ipaddress import ip_network

UNKNOWN_NETWORK = "unknown"


def network_of(address: str | None) -> str:
    """The network a client address is limited and counted by: an IPv4 address alone (/32), an
    IPv6 address by its /64 (what one site is usually given); "unknown" when unreadable."""
    if not address:
        return UNKNOWN_NETWORK
    try:
        network = ip_network(address)
    except ValueError:
        return UNKNOWN_NETWORK
    if network.version == 6:
        network = network.supernet(new_prefix=64)
    return network.with_prefixlen
