# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
DATA ?= data
export PORTAL_WAREHOUSE_LANDING ?= $(DATA)/landing
export PORTAL_WAREHOUSE_DB ?= $(DATA)/warehouse.duckdb
export PORTAL_WAREHOUSE_PUBLISH ?= $(DATA)/publish

PERIOD ?= 2023-9M
CUTOFF ?= 2023-09-25
MANIFEST := models/target/manifest.json

.PHONY: demo test lint dev bench clean postgresql docs

# The virtualenv is rebuilt whenever the pins change. Its bytecode is compiled once, here: uv
# leaves it out, and where PYTHONDONTWRITEBYTECODE is set (CI) every process would otherwise
# compile pandas, Dagster and dbt again from source (pandas alone: 8 s of every import).
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python \
		-r requirements.lock -e '.[dev]'
	touch $@

# dagster-dbt reads the manifest when the code location loads; it is never parsed at import.
# Its parse state is where each new warehouse's first dbt run starts (dbt_project.profile_env).
$(MANIFEST): $(VENV)/.installed $(shell find models -path models/target -prune -o -type f -print)
	$(BIN)/python -m orchestration.dbt_project
	touch $@

demo: $(VENV)/.installed $(MANIFEST)
	@if [ -z "$$(ls -A $(PORTAL_WAREHOUSE_LANDING) 2>/dev/null)" ]; then \
		$(BIN)/portal-warehouse generate; fi
	$(BIN)/portal-warehouse run --period $(PERIOD) --cutoff $(CUTOFF)
	$(BIN)/portal-warehouse status

lint: $(VENV)/.installed
	$(BIN)/ruff check ingest orchestration data_contracts publish sample tests bench
	$(BIN)/ruff format --check ingest orchestration data_contracts publish sample tests bench
	cd models && ../$(BIN)/sqlfluff lint --processes 2 staging intermediate marts

# The HTML report's test renders it in Debian's Chromium, driven by playwright, which never
# downloads a browser of its own.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium

# The workbook's print test converts it to PDF with Debian's LibreOffice headless, installed when
# `soffice` is missing, with the fonts metric-compatible with those the workbook names (Times New
# Roman, Calibri), which a desktop's LibreOffice has and --no-install-recommends leaves out.
SOFFICE := /usr/bin/soffice
PRINT_FONT := /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf
$(SOFFICE) $(PRINT_FONT):
	apt-get update -qq && apt-get install -y -qq --no-install-recommends \
		libreoffice-calc libreoffice-writer fonts-liberation2 fonts-crosextra-carlito

# The source-database tests (and bench/source.py) start a throw-away cluster of Debian's
# PostgreSQL server (/usr/lib/postgresql/<version>/bin), installed when it is missing.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql)

# The lint and dbt's parse run at once: sqlfluff's two processes leave part of the second core
# to the parse, which is one (13 s where they take 18 s one after the other). The project's
# own bytecode too, for the many processes the tests start (CLI, dbt, workers).
# A file's tests share one worker, so its fixtures are built once; files go to the workers in
# the order tests/conftest.py sets, the slowest first.
test: $(VENV)/.installed $(CHROMIUM) $(SOFFICE) $(PRINT_FONT) postgresql
	$(MAKE) --no-print-directory --jobs=2 --output-sync=target lint $(MANIFEST)
	$(BIN)/python -m compileall -q ingest orchestration data_contracts publish sample
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=15

# The Dagster home the CLI records its runs in (DAGSTER_HOME, else beside the warehouse; created
# with orchestration/dagster.yaml): the UI shows `make demo`'s and `portal-warehouse run`'s runs.
dev: $(VENV)/.installed $(MANIFEST)
	DAGSTER_HOME="$$($(BIN)/portal-warehouse dagster-home)" $(BIN)/dagster dev -w workspace.yaml

# The dbt docs site of the marts, its catalog read from the serving copy beside the warehouse
# (profiles.yml, target `serving`, read-only: a run may write meanwhile), served on
# http://localhost:$(DOCS_PORT). Without usage statistics (dbt_project.yml's flags) the page
# loads nothing from outside.
DOCS_PORT ?= 8080
DOCS := cd models && PORTAL_WAREHOUSE_DB=$(abspath $(PORTAL_WAREHOUSE_DB)) \
	../$(BIN)/dbt docs
docs: $(VENV)/.installed $(MANIFEST)
	$(DOCS) generate --profiles-dir . --target serving --target-path target/docs --static
	$(DOCS) serve --profiles-dir . --target serving --target-path target/docs \
		--port $(DOCS_PORT) --no-browser

bench: $(VENV)/.installed $(MANIFEST)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/build.py

clean:
	rm -rf $(DATA)
