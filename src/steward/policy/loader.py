"""Load a policy registry from YAML, with every problem located by file, line and field.

Loading is all-or-nothing: a registry with a bad reference, a cycle, a missing field, a date in
the wrong format or a recipient outside the UK is refused with every problem listed, so nothing
downstream ever runs on half a policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import ValidationError

from steward.policy.findings import Finding, RegistryError, suggest
from steward.policy.model import Registry

DEFAULT_REGISTRY = Path(__file__).with_name("no_wrong_door.yaml")
WORKSPACE_REGISTRY = "policy.yaml"
UK_COUNTRY_CODES = frozenset({"GB", "UK"})
# Risks the DPIA knows; a measure may only say it addresses one of these.
RISK_IDS = frozenset(
    {"children_data", "special_category", "data_matching", "invisible_processing", "archive"}
)

Path_ = tuple[str | int, ...]


def registry_path(workspace: Path | None) -> Path:
    """``<workspace>/policy.yaml`` if present, else the shipped No Wrong Door registry."""
    if workspace is not None and (workspace / WORKSPACE_REGISTRY).is_file():
        return workspace / WORKSPACE_REGISTRY
    return DEFAULT_REGISTRY


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The shipped No Wrong Door registry (loaded once)."""
    return load_registry(DEFAULT_REGISTRY)


def load_registry(path: Path) -> Registry:
    """Read and check a registry file; raise ``RegistryError`` listing located problems."""
    text = path.read_text(encoding="utf-8")
    return parse_registry(text, file=str(path))


def load_registry_once(path: Path) -> Registry:
    """``load_registry``, parsed and checked once per process for the same file content.

    A batch checks every file it ingests against the workspace's policy; the file is still read
    each time, so an edited policy is used (and checked) as soon as it changes.
    """
    return _parsed_registry(path.read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=8)
def _parsed_registry(text: str, file: str) -> Registry:
    return parse_registry(text, file=file)


def parse_registry(text: str, *, file: str = "policy.yaml") -> Registry:
    """Parse registry YAML text; ``file`` is only used to name it in messages."""
    try:
        data = yaml.safe_load(text)
        lines = _line_map(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RegistryError.from_findings(
            [
                Finding(
                    code="yaml_syntax",
                    message=f"not valid YAML: {exc.problem or exc}",
                    fix="Fix the indentation or quoting at this line (quote text containing ': ').",
                    file=file,
                    line=mark.line + 1 if mark else None,
                )
            ]
        ) from exc
    if not isinstance(data, dict):
        raise RegistryError.from_findings(
            [Finding("not_a_mapping", "the file is not a YAML mapping", "Start from the "
                     "shipped no_wrong_door.yaml and edit it.", file=file, line=1)]
        )  # fmt: skip
    locate = _Locator(file, lines)
    try:
        registry = Registry.model_validate(data)
    except ValidationError as exc:
        raise RegistryError.from_findings([locate.pydantic(err) for err in exc.errors()]) from exc
    problems = list(check_references(registry, locate))
    if problems:
        raise RegistryError.from_findings(problems)
    return registry


class _Locator:
    """Turns a path inside the document into a Finding with the nearest known line."""

    def __init__(self, file: str, lines: dict[Path_, int]) -> None:
        self.file = file
        self.lines = lines

    def line(self, path: Path_) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def finding(self, code: str, path: Path_, message: str, fix: str) -> Finding:
        return Finding(code, message, fix, self.file, self.line(path), _dotted(path))

    def pydantic(self, err: Any) -> Finding:
        path = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
        kind = err["type"]
        name = _dotted(path)
        if kind == "missing":
            return self.finding(
                "missing_field", path, f"required field {name!r} is missing",
                f"Add '{path[-1]}:' here (see the shipped no_wrong_door.yaml for an example).",
            )  # fmt: skip
        if kind == "extra_forbidden":
            return self.finding(
                "unknown_field", path, f"unknown field {name!r}",
                f"Remove it or correct its spelling. {suggest(str(path[-1]), _fields_at(path))}",
            )  # fmt: skip
        if kind == "value_error" and "YYYY-MM-DD" in err["msg"]:
            return self.finding(
                "bad_date", path, f"{name}: {err['msg'].removeprefix('Value error, ')}",
                "Write the date as YYYY-MM-DD, e.g. 2026-06-30.",
            )  # fmt: skip
        allowed = err.get("ctx", {}).get("expected")
        fix = f"Use one of {allowed}." if allowed else "Correct the value."
        return self.finding("bad_value", path, f"{name}: {err['msg']}", fix)


def _fields_at(path: Path_) -> list[str]:
    """Field names allowed in the mapping that holds ``path`` (for a 'did you mean')."""
    model: Any = Registry
    for part in path[:-1]:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if info is None:
            return []
        model = _model_in(info.annotation)
    return list(model.model_fields) if hasattr(model, "model_fields") else []


def _model_in(annotation: Any) -> Any:
    # Unwrap list[X] and X | None to the model class X.
    if hasattr(annotation, "model_fields"):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_map(node: yaml.Node | None, path: Path_ = ()) -> dict[Path_, int]:
    """1-based line of every mapping key and sequence item, by its path in the document."""
    lines: dict[Path_, int] = {}
    if node is None:
        return lines
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            lines[child] = key.start_mark.line + 1
            lines.update({k: v for k, v in _line_map(value, child).items() if k != child})
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_map(item, (*path, index)))
    return lines


def _index(items: list[Any]) -> dict[str, int]:
    return {item.id: i for i, item in enumerate(items)}


def check_references(registry: Registry, locate: _Locator) -> Iterator[Finding]:
    """Every reference names a declared id; no duplicate ids, no cycles, no non-UK recipient."""
    for section in ("environments", "data_subjects", "sources", "data_categories",
                    "category_groups", "purposes", "recipients", "retention", "measures",
                    "rights"):  # fmt: skip
        seen: set[str] = set()
        for i, item in enumerate(getattr(registry, section)):
            if item.id in seen:
                yield locate.finding("duplicate_id", (section, i, "id"),
                                     f"id {item.id!r} is declared twice in {section}",
                                     "Give each entry its own id.")  # fmt: skip
            seen.add(item.id)
    categories = registry.category_ids
    groups = registry.group_ids
    both = categories | groups

    def refs(kind: str, names: Iterable[str], valid: set[str], path: Path_) -> Iterator[Finding]:
        for j, name in enumerate(names):
            if name not in valid:
                yield locate.finding(
                    f"unknown_{kind}", (*path, j), f"unknown {kind.replace('_', ' ')} {name!r}",
                    suggest(name, valid),
                )  # fmt: skip

    subjects = {s.id for s in registry.data_subjects}
    sources = {s.id for s in registry.sources}
    for i, cat in enumerate(registry.data_categories):
        yield from refs("data_subject", cat.subjects, subjects, ("data_categories", i, "subjects"))
        yield from refs("source", cat.sources, sources, ("data_categories", i, "sources"))
    for i, group in enumerate(registry.category_groups):
        path = ("category_groups", i)
        yield from refs("category", group.categories, categories, (*path, "categories"))
        yield from refs("category_group", group.includes, groups, (*path, "includes"))
    for i, purpose in enumerate(registry.purposes):
        yield from refs("category", purpose.covers, both, ("purposes", i, "covers"))
        if purpose.refines is not None and purpose.refines not in _index(registry.purposes):
            yield locate.finding(
                "unknown_purpose", ("purposes", i, "refines"),
                f"purpose {purpose.id!r} refines unknown purpose {purpose.refines!r}",
                suggest(purpose.refines, _index(registry.purposes)),
            )  # fmt: skip
    for i, recipient in enumerate(registry.recipients):
        yield from refs("category", recipient.receives, both, ("recipients", i, "receives"))
        if recipient.country.upper() not in UK_COUNTRY_CODES:
            yield locate.finding(
                "recipient_outside_uk", ("recipients", i, "country"),
                f"recipient {recipient.id!r} is in {recipient.country!r}, outside the UK",
                "The notice promises data never leaves the UK: remove this recipient or use a "
                "UK-based one (country: GB).",
            )  # fmt: skip
        if recipient.retention.rule == "days_after_completion" and recipient.retention.days is None:
            yield locate.finding(
                "missing_field", ("recipients", i, "retention"),
                f"recipient {recipient.id!r}: retention 'days_after_completion' needs 'days'",
                "Add 'days: N' to the retention of this recipient.",
            )  # fmt: skip
    for i, rule in enumerate(registry.retention):
        yield from refs("category", rule.applies_to, both, ("retention", i, "applies_to"))
        if rule.rule == "years_after_final_report" and rule.years is None:
            yield locate.finding(
                "missing_field", ("retention", i),
                f"retention rule {rule.id!r} needs 'years' (years after the final report)",
                "Add 'years: 5' (or the number the notice promises).",
            )  # fmt: skip
    for i, measure in enumerate(registry.measures):
        yield from refs("risk", measure.addresses, set(RISK_IDS), ("measures", i, "addresses"))
    yield from _cycles(
        "category_group_cycle", "category_groups",
        {g.id: list(g.includes) for g in registry.category_groups}, locate, "includes",
    )  # fmt: skip
    yield from _cycles(
        "purpose_cycle", "purposes",
        {p.id: [p.refines] if p.refines else [] for p in registry.purposes}, locate, "refines",
    )  # fmt: skip


def _cycles(
    code: str, section: str, edges: dict[str, list[str]], locate: _Locator, field: str
) -> Iterator[Finding]:
    """Report each cycle once, at the first member in file order."""
    order = list(edges)
    reported: set[frozenset[str]] = set()
    for start in order:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in edges.get(node, []):
                if nxt == start:
                    members = frozenset(trail)
                    if members not in reported:
                        reported.add(members)
                        loop = " -> ".join([*trail, start])
                        yield locate.finding(
                            code, (section, order.index(start), field),
                            f"{section.replace('_', ' ')} refer to each other in a cycle: {loop}",
                            f"Remove one of the '{field}' references so that the chain ends.",
                        )  # fmt: skip
                elif nxt in edges and nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
