"""The local authorities a study may receive returns from (DfE three-digit LA codes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalAuthority:
    code: str  # DfE LA code, kept as text
    name: str
    slug: str  # as it appears in file names, e.g. rochdale_dr2_nov20.xlsx
    region: str


NWD_LOCAL_AUTHORITIES = (
    LocalAuthority("354", "Rochdale", "rochdale", "North West"),
    LocalAuthority("807", "Redcar and Cleveland", "redcar", "North East"),
    LocalAuthority("877", "Warrington", "warrington", "North West"),
    LocalAuthority("926", "Norfolk", "norfolk", "East of England"),
    LocalAuthority("856", "Leicester", "leicester", "East Midlands"),
)
