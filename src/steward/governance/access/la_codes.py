"""The two codes of a local authority: accounts carry its GSS code, returns its DfE LA number.

An LA data provider's account names its LA as a GSS code (``E08000005``); the returns it sends,
and so the store, name the LA by its three-digit DfE number (``354``). Either form of the same
LA is the same LA. An account may be given either; it keeps the GSS code.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from steward.errors import UserError

_GSS_CODE = re.compile(r"^E\d{8}$")

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


def account_la_code(code: str) -> str:
    """The GSS code an account keeps for ``code``, a GSS code or the DfE number of a mapped LA.

    ``UserError`` for anything else, saying which forms are accepted.
    """
    code = code.strip().upper()
    if _GSS_CODE.match(code):
        return code
    for gss, dfe in GSS_TO_DFE.items():
        if code == dfe:
            return gss
    known = ", ".join(f"{dfe} ({gss})" for gss, dfe in GSS_TO_DFE.items())
    raise UserError(
        what=f"{code!r} is neither an LA's GSS code nor a DfE LA number Steward can map",
        fix=f"Pass --la-code as the GSS code (E followed by 8 digits, e.g. E08000005) or one of "
        f"the DfE numbers {known}.",
    )
