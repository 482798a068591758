"""A release: the outputs that leave together, with suppression made consistent across them.

Two tables of one release often share aggregates: the margin of ``year by grant_type`` is the
one-way table of ``year``; its grand total is every table's grand total. If a count is withheld
in one table and printed in another, the suppression is undone. ``Release`` therefore
identifies each published cell by its aggregate key (statistic plus the category of each
variable it conditions on) and repeats, to a fixed point: withhold every occurrence of any
withheld aggregate, then re-run secondary suppression in the tables that changed.
``Release.audit`` then checks the whole release at once by linear programming.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator

import numpy as np

from steward.disclosure.audit import CellInterval, Relation, exposed_cells
from steward.disclosure.grid import TableGrid
from steward.disclosure.output import CheckedOutput
from steward.errors import DisclosureError, Location


class Release:
    """Outputs that leave together, keyed by output id (``output_0``, ``output_1``, ...)."""

    def __init__(self, name: str = "release") -> None:
        self.name = name
        self.outputs: dict[str, CheckedOutput] = {}

    def __iter__(self) -> Iterator[tuple[str, CheckedOutput]]:
        return iter(self.outputs.items())

    def __getitem__(self, output_id: str) -> CheckedOutput:
        if output_id not in self.outputs:
            raise DisclosureError(
                what=f"Release {self.name!r} has no output {output_id!r}",
                fix=f"Use one of: {', '.join(self.outputs) or '(none yet)'}.",
            )
        return self.outputs[output_id]

    def add(self, checked: CheckedOutput, output_id: str | None = None) -> str:
        """Add a checked output and make suppression consistent across the release."""
        oid = output_id or f"output_{len(self.outputs)}"
        if oid in self.outputs:
            raise DisclosureError(
                what=f"Output id {oid!r} is already used in release {self.name!r}",
                fix="Choose another id, or leave it out to number outputs automatically.",
            )
        self.outputs[oid] = checked
        self.harmonise()
        return oid

    def harmonise(self) -> list[str]:
        """Withhold each withheld aggregate everywhere it appears; returns ids of changed outputs."""
        self._shared_values()  # raises if two tables disagree on one aggregate
        changed: set[str] = set()
        while True:
            withheld_keys = set()
            for _, grid in self._grids():
                mask = grid.withheld()
                withheld_keys |= {key for cell, key in grid.keys.items() if mask[cell]}
            round_changed = False
            for oid, grid in self._grids():
                mask = grid.withheld()
                newly = [c for c, key in grid.keys.items() if key in withheld_keys and not mask[c]]
                if newly:
                    for cell in newly:
                        grid.tag(cell, "secondary")
                    grid.suppress_secondary()
                    changed.add(oid)
                    round_changed = True
            if not round_changed:
                break
        for oid in changed:
            old = self.outputs[oid]
            if old.rebuild is None:
                continue
            new = old.rebuild()
            new.exception = old.exception
            new.comments = old.comments + [c for c in new.comments if c not in old.comments]
            new.comments.append("More cells withheld to match other tables of the release.")
            self.outputs[oid] = new
        return sorted(changed)

    def audit(self) -> list[CellInterval]:
        """Withheld aggregates that the release as a whole still lets someone recover."""
        values = self._shared_values()
        withheld: set[Hashable] = set()
        relations: list[Relation] = []
        for _, grid in self._grids():
            mask = grid.withheld()
            withheld |= {key for cell, key in grid.keys.items() if mask[cell]}
            if grid.additive:
                for line in grid.lines:
                    relations.append(
                        Relation(tuple(grid.keys[c] for c in line.parts), grid.keys[line.total])
                    )
        return exposed_cells(values, withheld, relations)

    def _grids(self) -> Iterator[tuple[str, TableGrid]]:
        for oid, checked in self.outputs.items():
            if isinstance(checked.grid, TableGrid):
                yield oid, checked.grid

    def _shared_values(self) -> dict[Hashable, float]:
        values: dict[Hashable, float] = {}
        seen_in: dict[Hashable, str] = {}
        for oid, grid in self._grids():
            for cell, key in grid.keys.items():
                value = float(grid.values[cell])
                if key in values and not np.isclose(values[key], value):
                    raise DisclosureError(
                        what=(
                            f"Outputs {seen_in[key]!r} and {oid!r} give different values for the "
                            "same aggregate"
                        ),
                        fix=(
                            "Build every table of one release from the same data extract, and "
                            "declare the filters of a subset table with conditions=."
                        ),
                        where=Location(sheet=oid),
                    )
                values[key] = value
                seen_in.setdefault(key, oid)
        return values
