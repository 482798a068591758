"""The disclosure control rules every output is checked against, and the symbols shown for them.

Defaults are those of UK secure research services as ACRO (the SACRO project's reference
implementation, ``acro/default.yaml``) encodes them: a minimum of 10 unweighted observations per
cell, zeros disclosive, dominance (n=2, k=90%), p% ratio 10%, residual degrees of freedom >= 10.
A study definition may tighten or loosen them under an ``sdc:`` block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from steward.errors import ConfigError, Location

#: The rule that fired on a cell. ``secondary`` marks a cell suppressed only so that a primary
#: suppressed cell cannot be worked out from totals (in this table or another of the release).
CellRule = Literal["threshold", "zero", "dominance", "p-ratio", "secondary"]
CELL_RULES: tuple[CellRule, ...] = ("threshold", "zero", "dominance", "p-ratio", "secondary")

Status = Literal["pass", "fail", "review"]

#: GSS symbol for a value withheld to protect confidentiality. The Government Statistical
#: Service's "Symbols in tables" guidance (2021) replaced dots and asterisks with bracketed
#: short codes: ``[c]`` confidential, ``[low]`` rounds to zero but is not zero, ``[z]`` not
#: applicable, ``[x]`` not available, ``[u]`` low reliability. Only ``[c]`` is produced by
#: disclosure control; ``[z]`` is used for structurally empty model cells.
GSS_CONFIDENTIAL = "[c]"
GSS_LOW = "[low]"
GSS_NOT_APPLICABLE = "[z]"


class SdcRules(BaseModel):
    """Parameters of output disclosure control (ACRO/UK TRE defaults)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    safe_threshold: int = Field(
        default=10, ge=1, description="Minimum unweighted observations (contributors) per cell."
    )
    safe_dof_threshold: int = Field(
        default=10, ge=0, description="Minimum residual degrees of freedom of a model."
    )
    safe_nk_n: int = Field(default=2, ge=1, description="Dominance rule: number of top units n.")
    safe_nk_k: float = Field(
        default=0.90, gt=0, le=1, description="Dominance rule: share k the top n may not exceed."
    )
    safe_pratio_p: float = Field(
        default=0.10,
        gt=0,
        lt=1,
        description="p% rule: the rest of a cell must hide the largest unit by at least p.",
    )
    zeros_are_disclosive: bool = Field(
        default=True, description="Suppress zero counts (a zero reveals that nobody has a trait)."
    )
    survival_safe_threshold: int = Field(
        default=10, ge=1, description="Minimum events/censorings between published survival steps."
    )
    rounding_base: int | None = Field(
        default=None,
        ge=2,
        description=(
            "Round published counts to this base (5 for the ONS 10-5 rule). Suppression is "
            "decided on the unrounded counts first; rounding is applied last."
        ),
    )

    @classmethod
    def from_study(cls, study: Mapping[str, Any], *, file: str | None = None) -> SdcRules:
        """Rules from a study definition's ``sdc:`` block (missing keys keep the defaults)."""
        block = study.get("sdc", {}) if isinstance(study, Mapping) else {}
        if block is None:
            block = {}
        if not isinstance(block, Mapping):
            raise ConfigError(
                what="The study definition's 'sdc' entry is not a mapping of rule settings",
                fix="Write it as 'sdc:' followed by indented settings such as 'safe_threshold: 10'.",
                where=Location(file=file, column="sdc"),
            )
        try:
            return cls(**dict(block))
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ConfigError(
                what=f"Disclosure rule setting {field!r} is invalid: {first['msg']}",
                fix=(
                    "Use one of: "
                    + ", ".join(cls.model_fields)
                    + " with a value inside its documented range."
                ),
                where=Location(file=file, column=f"sdc.{field}"),
            ) from None
