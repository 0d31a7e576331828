"""A period's published versions (`v1`, `v2`, … in its folder) and the code they came from:
what `portal-warehouse run` reads to decide that a period is up to date, without loading the
writers of a release (publish.release)."""

from __future__ import annotations

import json
import re
import subprocess
from importlib import metadata
from pathlib import Path

_VERSION = re.compile(r"v(\d+)")
MANIFEST = "manifest.json"  # each version's own record: what it was built from, its files


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


def latest_manifest(period_dir: Path) -> tuple[Path, dict] | None:
    """The period's latest published version and its manifest; None before the first, or when
    that manifest cannot be read (then nothing can be said of the version)."""
    version = latest_version(period_dir)
    if version is None:
        return None
    try:
        return version, json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def next_version(period_dir: Path) -> int:
    return 1 + max(
        (int(m.group(1)) for p in period_dir.iterdir() if (m := _VERSION.fullmatch(p.name))),
        default=0,
    )
