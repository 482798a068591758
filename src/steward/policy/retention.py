"""When data must be deleted, computed from the registry's retention rules and the settings.

Nothing here is a hard-coded year: "five years after final reporting" is ``years`` from the
registry added to the ``final_report_date`` setting, so a later report moves every date with it.
"""

from __future__ import annotations

import datetime as dt

from steward.errors import ConfigError, PolicyViolation
from steward.policy.findings import suggest
from steward.policy.loader import default_registry
from steward.policy.model import Registry


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` on; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def retention_due(
    category: str,
    *,
    final_report_date: dt.date,
    licence_end: dt.date | None = None,
    completed_at: dt.date | None = None,
    recipient: str | None = None,
    registry: Registry | None = None,
) -> dt.date | None:
    """The date by which data of ``category`` must be deleted; ``None`` means kept indefinitely.

    With ``recipient``, the recipient's own retention applies (e.g. the transcription service
    deletes ``days`` after ``completed_at``); otherwise the category's retention rule does.
    """
    registry = registry or default_registry()
    if category not in registry.category_ids:
        raise ConfigError(
            what=f"unknown data category {category!r}",
            fix=suggest(category, registry.category_ids),
        )
    if recipient is not None:
        held = registry.recipient(recipient)
        if category not in registry.expand(held.receives):
            raise PolicyViolation(
                what=f"recipient {recipient!r} never receives {category!r}",
                fix="Ask for the retention of a category the recipient may receive.",
            )
        if held.retention.rule == "days_after_completion":
            if completed_at is None:
                raise ConfigError(
                    what=f"recipient {recipient!r} deletes a set time after completion",
                    fix="Pass the date the work was successfully completed (completed_at).",
                )
            return completed_at + dt.timedelta(days=held.retention.days or 0)
        if held.retention.rule == "indefinite":
            return None
        # 'as_controller': the processor keeps it no longer than we do.
    rule = registry.retention_rule(category)
    if rule is None:
        raise ConfigError(
            what=f"no retention rule covers {category!r}",
            fix="Add it to a rule under 'retention' in policy.yaml ('steward policy lint').",
        )
    if rule.rule == "indefinite":
        return None
    if rule.rule == "licence_end":
        if licence_end is None:
            raise ConfigError(
                what=f"{category!r} is kept until its SRS licence ends, which was not given",
                fix="Pass the licence end date from the SRS application (licence_end).",
            )
        return licence_end
    return add_years(final_report_date, rule.years or 0)


def may_archive(category: str, *, registry: Registry | None = None) -> bool:
    """Whether data of ``category`` may ever go into the archive (interview data never does)."""
    registry = registry or default_registry()
    return registry.category(category).archivable
