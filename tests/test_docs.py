"""Documentation: every column the marts' SQL produces is described (against the dbt docs
catalog of a built warehouse's serving copy, generated as `make docs` does), the docs site loads
nothing from outside, and Great Expectations' Data Docs render offline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.dbt_project import MODELS_DIR as MODELS
from publish.serving import write_serving_copy
from tests.test_alerts import build_marts
from tests.test_raw_expectations import check, raw_batch

MARTS = sorted(p.stem for p in (MODELS / "marts").glob("*.sql"))
# a page's scripts, stylesheets, icons and images: what a browser loads to show it
LOADED = re.compile(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]*)"')
REMOTE = re.compile(r"(https?:)?//")


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    """`dbt docs generate` (target `serving`: the Makefile's `docs`) of a tiny warehouse's
    serving copy; the folder of its catalog, manifest and pages."""
    root = tmp_path_factory.mktemp("docs")
    warehouse = build_marts(root)
    write_serving_copy(warehouse.settings.db, warehouse.settings.tz)
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_WAREHOUSE_SERVING"}
    target = root / "site"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"), "docs", "generate", "--profiles-dir", ".",
            "--target", "serving", "--target-path", str(target), "--static", "--quiet",
            "--log-path", str(root / "dbt_logs"),
        ],
        cwd=MODELS,
        env=env | {"PORTAL_WAREHOUSE_DB": str(warehouse.settings.db)},
        check=True,
    )  # fmt: skip
    return target


def test_every_column_of_every_mart_is_described(docs):
    catalog = json.loads((docs / "catalog.json").read_text())
    manifest = json.loads((docs / "manifest.json").read_text())
    built = {
        node["metadata"]["name"]: node["columns"]
        for key, node in catalog["nodes"].items()
        if key.startswith("model.")
    }
    assert sorted(built) == MARTS  # the serving copy holds every mart, and only the marts
    undescribed = []
    for mart in MARTS:
        described = manifest["nodes"][f"model.portal_warehouse.{mart}"]["columns"]
        assert len(built[mart]) >= 5, mart  # columns read from the database, not the yml
        undescribed += [
            f"{mart}.{column}"
            for column in built[mart]
            if not described.get(column, {}).get("description", "").strip()
        ]
    assert undescribed == [], "describe these in models/marts/_marts.yml"


def test_the_docs_site_loads_nothing_from_outside(docs):
    manifest = json.loads((docs / "manifest.json").read_text())
    # with usage statistics on, the page would load a tracker from a CDN
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
    for page in ("index.html", "static_index.html"):
        html = (docs / page).read_text(encoding="utf-8")
        # dbt inlines its scripts and styles; what remains are templates of its own pages
        assert [url for url in LOADED.findall(html) if REMOTE.match(url)] == []
    assert "appendix_03_dossiers" in (docs / "static_index.html").read_text(encoding="utf-8")


def test_great_expectations_data_docs_render_offline(tmp_path):
    for stream in ("dossier", "question"):
        assert check(raw_batch(stream), stream, tmp_path).docs_index is not None
    site = tmp_path / "site"
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 5  # the index, two suites and two results per stream
    loaded = set()
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "https://" not in html.replace('<a href="https://greatexpectations.io', "")
        for url in LOADED.findall(html):
            assert not REMOTE.match(url), f"{page}: {url}"
            local = (page.parent / url.split("?")[0].split("#")[0]).resolve()
            assert local.is_file(), f"{page}: {url}"
            loaded.add(local.relative_to(site.resolve()).as_posix())
    for asset in ("jquery.min.js", "bootstrap.min.css", "bootstrap-table.min.js"):
        assert f"static/vendor/{asset}" in loaded
    assert "static/vendor/fontawesome/css/all.min.css" in loaded
    fonts = site / "static/vendor/fontawesome/webfonts"
    css = (site / "static/vendor/fontawesome/css/all.min.css").read_text()
    for font in re.findall(r"url\(\.\./webfonts/([\w-]+\.woff2)\)", css):
        assert (fonts / font).is_file()
