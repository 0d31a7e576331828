"""The dbt project in `models/`, as dagster-dbt sees it, and the dbt that runs it.

Its manifest is prepared before the code location loads (`make` runs `dbt parse`, `dagster dev`
reparses it when this module is imported, the CLI parses it when missing); outside `dagster dev`
importing this module never parses the project.

Every dbt invocation, the parse included, uses `DBT_EXECUTABLE`: the dbt installed beside this
Python. `make dev` starts `.venv/bin/dagster` from a shell that never activated the virtualenv,
so a `dbt` looked up on PATH (what `DbtProject.prepare_if_dev()` would run) is not there.
"""

import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster._utils import run_with_concurrent_update_guard  # what dagster-dbt's preparer uses
from dagster._utils.env import using_dagster_dev
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from ingest.settings import Settings

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
# the dbt installed beside this Python, even when the virtualenv is not on PATH
DBT_EXECUTABLE = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"

dbt_project = DbtProject(project_dir=MODELS_DIR, profiles_dir=MODELS_DIR)


class LocalDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without the work it does in this process before each invocation.

    It asks `dbt --version` in a subprocess (7-8 s, and dbt looks for a newer release on the
    package index meanwhile); the dbt it runs is the dbt-core installed beside this Python, whose
    version the package metadata says at once."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """dagster-dbt also imports dbt-core into this process and parses dbt's 500-odd macros
        at every invocation (about 4 s of CPU), for an adapter that only its fetch_row_counts()
        and fetch_column_metadata() use. The dbt step reads the counts and columns itself after
        dbt has exited (assets/transform.py), so no adapter is made; dagster-dbt runs on without
        one, as when making it fails."""
        return None


def dbt_resource() -> DbtCliResource:
    """The resource every dbt step runs through (definitions.py)."""
    return LocalDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


def profile_env(db: Path, tz: str) -> dict[str, str]:
    """The variables by which dbt's process finds the warehouse and its time zone (the var `tz`
    of dbt_project.yml): profiles.yml's path is PORTAL_WAREHOUSE_DB, given as `~/<file name>`
    with HOME the file's folder; PORTAL_WAREHOUSE_TZ is given at the parse too, so that a run's
    value is the parse state's (unset there, the files converting to local time were parsed
    again at every warehouse's first run).

    dbt keeps its parse state only while the profile's connection is unchanged, its path
    included: a path naming the folder made every new warehouse (each test's, each benchmark's)
    parse the whole project again, 4.5 s of the 16 s dbt takes on a small one. DuckDB expands
    `~` itself, so the file, its WAL and its spill folder are those of the full path."""
    db = db.resolve()
    return {
        "HOME": str(db.parent),
        "PORTAL_WAREHOUSE_DB": f"~/{db.name}",
        "PORTAL_WAREHOUSE_TZ": tz,
    }


def _parse() -> None:
    # the parse state every warehouse of the configured file name starts from
    settings = Settings.from_env()
    with environment(profile_env(settings.db, settings.tz)):
        invocation = dbt_resource().cli(["parse", "--quiet"], target_path=dbt_project.target_path)
    invocation.wait()


def prepare() -> Path:
    """`dbt parse`, as dagster-dbt's preparer does it (one process at a time; skipped when
    another process wrote the manifest meanwhile), with `DBT_EXECUTABLE`."""
    run_with_concurrent_update_guard(dbt_project.manifest_path, _parse)
    return dbt_project.manifest_path


def ensure_manifest() -> Path:
    """Parse the project once when no manifest exists yet (a fresh checkout)."""
    if not dbt_project.manifest_path.exists():
        prepare()
    return dbt_project.manifest_path


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (None: unset) these variables for the moment a dbt subprocess starts: dagster-dbt
    hands it a copy of this process's environment."""
    saved = {name: os.environ.get(name) for name in values}
    _set(values)
    try:
        yield
    finally:
        _set(saved)


def _set(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


if __name__ == "__main__":  # `make`: the manifest and parse state of a fresh checkout
    prepare()

# `dagster dev` (DAGSTER_IS_DEV_CLI) picks up changes to the models at every load, as
# `dbt_project.prepare_if_dev()` would, but with this environment's dbt.
if using_dagster_dev():
    prepare()
