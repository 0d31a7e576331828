"""A period's published versions (`v1`, `v2`, … in its folder) and the code they came from:
what `portal-warehouse run` reads to decide that a period is up to date, without loading the
writers of a release (publish.release)."""

from __future__ import annotations

import re
import subprocess
from importlib import metadata
from pathlib import Path

_VERSION = re.compile(r"v(\d+)")


def code_version() -> str:
    """The package version and, in a git checkout, the commit the run's code came from."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return f"{metadata.version('portal-warehouse')}+{commit}"


def latest_version(period_dir: Path) -> Path | None:
    """The period's latest published version (`v<n>` of the highest n), None before the first."""
    number = next_version(period_dir) - 1 if period_dir.is_dir() else 0
    return period_dir / f"v{number}" if number else None


def next_version(period_dir: Path) -> int:
    return 1 + max(
        (int(m.group(1)) for p in period_dir.iterdir() if (m := _VERSION.fullmatch(p.name))),
        default=0,
    )
