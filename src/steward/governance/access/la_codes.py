"""The two codes of a local authority: accounts carry its GSS code, returns its DfE LA number.

An LA data provider's account names its LA as a GSS code (``E08000005``); the returns it sends,
and so the store, name the LA by its three-digit DfE number (``354``). Either form of the same
LA is the same LA.
"""

from __future__ import annotations

from types import MappingProxyType

GSS_TO_DFE: MappingProxyType[str, str] = MappingProxyType(
    {
        "E08000005": "354",  # Rochdale
        "E06000003": "807",  # Redcar and Cleveland
        "E06000007": "877",  # Warrington
        "E10000020": "926",  # Norfolk
        "E06000016": "856",  # Leicester
    }
)


def same_la(account_la: str, la_code: str | None) -> bool:
    """Whether ``la_code`` (GSS code or DfE number) is the LA of the account's ``account_la``."""
    return la_code is not None and la_code in (account_la, GSS_TO_DFE.get(account_la))
