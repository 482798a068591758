"""The notice is rendered from the registry, kept as dated versions, and checked against the law."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from steward.policy.law import last_modified, law_flags
from steward.policy.loader import default_registry, load_registry
from steward.policy.notice import (
    NOTICE_DIR,
    SHIPPED_NOTICE,
    notice_versions,
    publish_notice,
    render_notice,
)

from .conftest import Variant

REPORT = dt.date(2026, 6, 30)
SECTIONS = [
    "Introduction", "Personal data we collect", "How we collect information about you",
    "Purposes for which we use personal data and the lawful basis", "Sharing your data",
    "How long we keep your data", "How we protect your data", "Your rights and options",
    "How to complain", "Contact us", "Changes to this privacy notice",
]  # fmt: skip


def test_markdown_has_every_section_of_the_shipped_notice() -> None:
    text = render_notice(default_registry(), final_report_date=REPORT)
    shipped = SHIPPED_NOTICE.read_text()
    for number, section in enumerate(SECTIONS, start=1):
        assert f"### {number}. {section}" in text
        assert section.lower().split()[0] in shipped.lower()
    for heading in (
        "#### Children",
        "#### Parent(s) / Legal Guardian(s)",
        "#### Related Professionals",
    ):
        assert heading in text
    assert "Your ethnicity. (This is special category data.)" in text
    assert "UK GDPR Article 6(1)(f)" in text and "UK GDPR Article 6(1)(e)" in text
    assert "LIA-NWD-2022-01" in text
    assert "delete this data in 2031" in text
    assert "deleted by the provider 7 days after" in text
    assert "never be transferred outside the UK" in text
    assert "not subject to any automated decision-making" in text
    assert "Interview data will not be put into an archive" in text


def test_notice_follows_the_registry_and_the_setting(variant: Variant) -> None:
    base = render_notice(default_registry(), final_report_date=REPORT)
    later = render_notice(default_registry(), final_report_date=dt.date(2027, 12, 31))
    assert "delete this data in 2032" in later and "2032" not in base
    path = variant(("    plain: Your gender.", "    plain: Your gender identity."))
    changed = render_notice(load_registry(path), final_report_date=REPORT)
    assert "- Your gender identity." in changed and "- Your gender identity." not in base


def test_html_is_self_contained_and_escaped(variant: Variant) -> None:
    path = variant(("    plain: Your gender.", "    plain: Your gender <script>alert(1)</script>."))
    html = render_notice(load_registry(path), final_report_date=REPORT, fmt="html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<style>" in html and "<link" not in html and 'src="http' not in html
    for number, section in enumerate(SECTIONS, start=1):
        assert f"<h3>{number}. {section}</h3>" in html


def test_versions_changelog_and_diff(tmp_path: Path, variant: Variant) -> None:
    workspace = tmp_path / "ws"
    first = publish_notice(default_registry(), workspace, final_report_date=REPORT,
                           today=dt.date(2026, 7, 1))  # fmt: skip
    assert first.created and first.version.previous is None
    folder = workspace / NOTICE_DIR
    assert (folder / f"2026-07-01-{first.version.hash}.md").is_file()
    assert (folder / f"2026-07-01-{first.version.hash}.html").is_file()
    # Unchanged registry on another day: no new version.
    again = publish_notice(default_registry(), workspace, final_report_date=REPORT,
                           today=dt.date(2026, 8, 1))  # fmt: skip
    assert not again.created and again.version == first.version and again.diff == ""
    # A registry change makes a new version with a diff against the previous one.
    path = variant(("    plain: Your gender.", "    plain: Your gender identity."))
    second = publish_notice(load_registry(path), workspace, final_report_date=REPORT,
                            today=dt.date(2026, 9, 1), note="gender wording")  # fmt: skip
    assert second.created and second.version.previous == first.version.hash
    assert "-- Your gender." in second.diff and "+- Your gender identity." in second.diff
    assert "-Last modified 1 July 2026." in second.diff
    log = json.loads((folder / "changelog.json").read_text())
    assert [e["date"] for e in log] == ["2026-07-01", "2026-09-01"]
    assert log[1]["note"] == "gender wording"
    third = publish_notice(load_registry(path), workspace, final_report_date=dt.date(2027, 6, 30),
                           today=dt.date(2026, 10, 1))  # fmt: skip
    assert third.version.note == "changed: 6. How long we keep your data"
    assert [v.hash for v in notice_versions(workspace)][:2] == [
        first.version.hash,
        second.version.hash,
    ]


def test_shipped_notice_is_flagged_out_of_date_with_uk_law() -> None:
    flags = {f.change: f for f in law_flags(SHIPPED_NOTICE.read_text(), default_registry())}
    assert {"research_safeguards_renumbered", "stop_the_clock", "complaints_duty"} <= set(flags)
    assert "84B" in flags["research_safeguards_renumbered"].fix
    assert "notice_predates_law" in flags
    assert last_modified(SHIPPED_NOTICE.read_text()) == dt.date(2022, 4, 1)


def test_stale_article_89_wording_is_flagged() -> None:
    text = "Safeguards under Article 89 apply."
    flags = {f.change: f for f in law_flags(text, default_registry())}
    assert "'Article 89'" in flags["research_safeguards_renumbered"].problem
    ok = "Safeguards under Article 84B (formerly Article 89) apply."
    assert "research_safeguards_renumbered" not in {
        f.change for f in law_flags(ok, default_registry())
    }


def test_rendered_notice_is_current_with_uk_law() -> None:
    registry = default_registry()
    for fmt in ("md", "html"):
        text = render_notice(
            registry, final_report_date=REPORT, last_modified=dt.date(2026, 7, 1), fmt=fmt
        )
        assert law_flags(text, registry) == []
