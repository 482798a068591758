"""Optional probabilistic linkage on quasi-identifiers, for children deterministic keys miss.

Never used silently: only with ``--probabilistic``, and then its match weights are reported.
The engine (Splink on DuckDB) is imported lazily; without it the request is refused with what to
install, never quietly replaced by deterministic results.
"""

from __future__ import annotations

from steward.errors import ConfigError


def require_engine() -> None:
    """Raise ``ConfigError`` saying what to install when the probabilistic engine is missing."""
    try:
        import splink  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError:
        raise ConfigError(
            what="probabilistic linkage needs Splink, which is not installed",
            fix="Install it in the project environment ('uv add splink'), or run the linkage "
            "without --probabilistic (deterministic keys only).",
        ) from None
