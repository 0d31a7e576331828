"""The dbt project in `models/`, as dagster-dbt sees it.

Its manifest is prepared before the code location loads (`make` runs `dbt parse`, `dagster dev`
prepares it, the CLI prepares it when missing); importing this module never parses the project.
"""

from pathlib import Path

from dagster_dbt import DbtProject

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"

dbt_project = DbtProject(project_dir=MODELS_DIR, profiles_dir=MODELS_DIR)
dbt_project.prepare_if_dev()


def ensure_manifest() -> Path:
    """Parse the project once when no manifest exists yet (a fresh checkout)."""
    if not dbt_project.manifest_path.exists():
        dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path
