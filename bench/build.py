"""The whole period run against a hand-written DuckDB baseline, in the same run.

For each size: generate clean dossier events and the portal registry (about n dossier events,
as before), plus the sample's posts and questions of 2022-2023 at the same scale as the
dossiers (sample.posts / sample.questions `simulate_seed_years`, scale n / 1M, the sample's
own proportions: about 9% as many post events as dossier events and 0.4% question events,
clean, every event in one Parquet file a stream); ingest them once (`portal-warehouse ingest`,
timed and reported, not part of any ratio), then in fresh processes, each on its own copy of
that ingested DuckDB file, time
- run: `portal-warehouse run --period 2023-9M --cutoff 2023-09-25` (its own ingest finds nothing
  new; every dbt model is built from scratch, the copy has no marts yet; contracts; publish);
- again: `portal-warehouse run` with the same arguments on the warehouse the last run built and
  its publish folder, nothing new landed (the period is up to date: nothing runs), judged at 1M
  events;
- baseline: one Python process running one careful SQL script, what a careful engineer would
  write by hand from raw.dossier_events, raw.question_events, raw.post_events,
  raw.portal_events (raw.assessment_events for the categories the board assessed) and the
  reference CSVs under models/seeds/, computing for the same period, each into a table:
  appendix 03 (dossiers), appendix 02 (the Q&A counts per agency, with the listing and the
  score), appendix 01's post counts and deductions per scored portal, and the summary's posts
  per group for the period and the same period last year (restated and as reported). Each
  must equal its mart's columns row for row (marts.appendix_03_dossiers, appendix_02_questions,
  appendix_01_information, report_summary's `posts` rows; the Vietnamese notes, the display
  order and appendix 01's assessed score are not compared), or the benchmark fails. The
  baseline restates nothing onto reorganised units: it stops with an error for a period by
  whose end a unit was merged or split (none was by 2023-09-25).
At the largest size, one more quarter (2024-Q1) is landed on top of the built warehouse: about
1/8 more dossier events (2023-Q1's dossiers moved one year on, with new ids) plus events on 300
old dossiers still open (late resolutions, due-date changes, withdrawals; `--touched N` for N of
them, 0 for every one, as a real quarter closes what the last one left open), 2023-Q1's posts
moved one year on plus 300 earlier publications, delivered late, of posts of June 2023, and
2023-Q1's question events moved one year on plus 100 old questions deleted in January 2024. Then
- incremental: `portal-warehouse run --period 2024-Q1` on a copy of the built warehouse;
- full: the same command on a copy without the staging, intermediate and marts schemas;
and the 2024-Q1 marts (and the replays of dossiers, posts and questions) of the two must be
identical.

Seconds are the wall time of the whole process, from spawn to exit (interpreter and imports
included, for the baseline too). Peak RSS: `tree` is the largest sum of RSS over the process and
all its descendants (dbt runs as subprocesses), polled with psutil every 0.1 s; `proc` is the
largest single process (ru_maxrss of RUSAGE_SELF and RUSAGE_CHILDREN). The run's step breakdown
comes from Dagster's own step statistics: the measured process runs `portal-warehouse run` in
process (orchestration.cli.main) and reads them back from the instance the command records the
run in (its Dagster home beside the warehouse); dbt's node times from the run_results.json of the
warehouse's dbt targets (ingest.reference.dbt_dir).

    python bench/build.py                          # 1M and 10M events, best of 2 (~15 minutes)
    python bench/build.py --sizes 200000 --repeat 1  # a quick look (~2 minutes)
    python bench/build.py --sizes 100000000 --repeat 1 --no-quarter --keep  # (~1 hour)

Beyond 10M dossier events, the events are generated in slices of 10M, each another province's
dossiers (its own seed, its ids prefixed) on the same portals over the same dates, so that the
generator's memory stays that of one slice.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PERIOD, CUTOFF = "2023-9M", "2023-09-25"
NEXT_PERIOD = "2024-Q1"
# landed for NEXT_PERIOD
QUARTER_FILES = ("dossier/2024-q1.parquet", "post/2024-q1.parquet", "question/2024-q1.parquet")
TZ = os.environ.get("PORTAL_WAREHOUSE_TZ", "Asia/Ho_Chi_Minh")
SEEDS = ROOT / "models" / "seeds"
RUBRIC = SEEDS / "rubric_listed_agencies.csv"
TARGET_RATIO = 3.0  # run <= 3x the baseline, judged from 10M events on
RATIO_JUDGED_FROM = 10_000_000
TARGET_INCREMENTAL = 0.30  # incremental < 30% of the full rebuild
TARGET_NOTHING_NEW = 10.0  # seconds: the run again on the warehouse it built, judged at 1M
NOTHING_NEW_JUDGED_AT = 1_000_000
RSS_LIMIT_MB = 4096
PROVINCE_EVENTS = 10_000_000  # dossier events generated in one slice (see child_inputs)
STEPS = (
    "raw_events",
    "dbt_models",
    "mart_contracts",
    "publish__report",
)
# Compared between the incremental run and the full rebuild, beside orchestration.checks'
# PERIOD_MARTS (read in the child that compares: importing Dagster would slow every child).
PERIOD_FACTS = ("fct_dossiers_period", "fct_questions_period")
CELLS = [f"resolved_l{lv}_{t}" for lv in (2, 3, 4) for t in ("early", "on_time", "late")]
COUNTS = ["total", "carried_over", "received_counter", "received_online"]
COUNTS += CELLS + ["resolved", "withdrawn", "in_progress"]

# ---------------------------------------------------------------------------------------------
# The hand-written baseline: one script, from raw and the reference CSVs under models/seeds/, for
# one period: what the registry and the rubric say at the period's end, appendix 03, appendix 02,
# appendix 01's deductions from posts and the summary's posts per group, each into a table.

SHARED_SQL = """
-- the registry as a day's end leaves it: each portal's latest attributes (a retirement names
-- none), whether it stands, the local date it was registered
CREATE OR REPLACE TEMP MACRO portals_at(day) AS TABLE
    SELECT e.portal_id,
           arg_max(e.name, (e.occurred_at, e.o, e.event_id)) FILTER (WHERE e.name IS NOT NULL
               AND e.event_type != 'retired') AS name,
           arg_max(e.portal_group, (e.occurred_at, e.o, e.event_id))
               FILTER (WHERE e.portal_group IS NOT NULL AND e.event_type != 'retired')
               AS portal_group,
           arg_max(e.bloc, (e.occurred_at, e.o, e.event_id))
               FILTER (WHERE e.bloc IS NOT NULL AND e.event_type != 'retired') AS bloc,
           arg_max(e.scored, (e.occurred_at, e.o, e.event_id))
               FILTER (WHERE e.scored IS NOT NULL AND e.event_type != 'retired') AS scored,
           min(e.occurred_on) FILTER (WHERE e.event_type = 'registered') AS registered_on,
           bool_or(e.event_type = 'registered') AND NOT bool_or(e.event_type = 'retired')
               AS in_force
    FROM (SELECT *, CASE event_type WHEN 'registered' THEN 0 WHEN 'updated' THEN 1 ELSE 2 END
                    AS o
          FROM raw.portal_events) AS e
    WHERE e.occurred_at_local < (day + 1)::TIMESTAMP
    GROUP BY e.portal_id;
CREATE OR REPLACE TEMP TABLE portals AS FROM portals_at(DATE '{end}');
-- every unit counts as itself, last year too: no unit may have been reorganised (merged,
-- split, its work transferred) by the period's end, whose figures would go to its successors
SELECT error('a unit was reorganised by {end}: this baseline does not restate')
FROM raw.portal_events
WHERE occurred_at_local < (DATE '{end}' + 1)::TIMESTAMP
  AND (len(successor_portal_ids) > 0 OR len(predecessor_portal_ids) > 0);
-- the rubric's numbers in force at the period's end, one row per bloc (its own before 'all')
CREATE OR REPLACE TEMP TABLE rubric AS
PIVOT (
    SELECT b.bloc, r.parameter, arg_max(r.value, (r.bloc = b.bloc, r.effective_from)) AS value
    FROM read_csv('{seeds}/rubric_parameters.csv', header = true,
                  types = {{'value': 'DOUBLE', 'effective_from': 'DATE'}}) AS r
    JOIN (VALUES ('government'), ('party')) AS b (bloc) ON r.bloc IN (b.bloc, 'all')
    WHERE r.effective_from <= DATE '{end}'
    GROUP BY ALL
) ON parameter USING any_value(value) GROUP BY bloc;
"""

APPENDIX_03_SQL = """
-- appendix 03, in one statement
CREATE OR REPLACE TABLE main.bench_appendix_03 AS
WITH
-- an event after the period's last day changes none of its counts: the receipt that opens a
-- dossier in the window, its first closing and the due date in force are all dated before it.
-- Not materialized: each use scans raw with its own filter, twice as fast as spooling 10M rows
events AS NOT MATERIALIZED (
    SELECT dossier_id, event_id, event_type, occurred_at, occurred_on, portal_id, channel,
           service_level, due_at
    FROM raw.dossier_events
    WHERE occurred_on <= DATE '{end}'
),
-- the first receipt opens the dossier and fixes its agency, channel and level
receipts AS (
    SELECT dossier_id,
           arg_min({{'portal_id': portal_id, 'channel': channel, 'level': service_level,
                     'at': occurred_at, 'on': occurred_on}}, (occurred_at, event_id)) AS r
    FROM events
    WHERE event_type = 'received'
    GROUP BY dossier_id
),
-- the first resolution or withdrawal at or after the receipt closes it
closings AS (
    SELECT e.dossier_id,
           arg_min({{'kind': e.event_type, 'at': e.occurred_at, 'on': e.occurred_on}},
                   (e.occurred_at, e.event_id)) AS c
    FROM events AS e
    JOIN receipts AS d ON e.dossier_id = d.dossier_id
    WHERE e.event_type IN ('resolved', 'withdrawn') AND e.occurred_at >= d.r.at
    GROUP BY e.dossier_id
),
dossiers AS (
    SELECT d.dossier_id, d.r.portal_id, d.r.channel, d.r.level, d.r.on AS received_on,
           c.c.kind AS closed_by, c.c.at AS closed_at, c.c.on AS closed_on
    FROM receipts AS d
    LEFT JOIN closings AS c ON d.dossier_id = c.dossier_id
),
-- open at some point of the window: received by its end, not closed before its start
in_window AS (
    SELECT *, received_on < DATE '{start}' AS carried
    FROM dossiers
    WHERE received_on <= DATE '{end}' AND (closed_on IS NULL OR closed_on >= DATE '{start}')
),
-- for the window's resolutions only: the latest due date at or before the resolution
due AS (
    SELECT e.dossier_id,
           arg_max(timezone('{tz}', e.due_at)::DATE, (e.occurred_at, e.event_id)) AS due_on
    FROM events AS e
    JOIN in_window AS w ON e.dossier_id = w.dossier_id
    WHERE w.closed_by = 'resolved'
      AND e.event_type IN ('received', 'due_changed')
      AND e.occurred_at <= w.closed_at
    GROUP BY e.dossier_id
),
counted AS (
    SELECT w.portal_id, w.carried, w.channel, w.level, w.closed_by,
           CASE WHEN w.closed_on < d.due_on THEN 'early'
                WHEN w.closed_on = d.due_on THEN 'on_time'
                WHEN w.closed_on > d.due_on THEN 'late' END AS timeliness
    FROM in_window AS w
    LEFT JOIN due AS d ON w.dossier_id = d.dossier_id
),
counts AS (
    SELECT portal_id,
           count(*) AS total,
           count(*) FILTER (WHERE carried) AS carried_over,
           count(*) FILTER (WHERE NOT carried AND channel = 'counter') AS received_counter,
           count(*) FILTER (WHERE NOT carried AND channel = 'online') AS received_online,
           {cells},
           count(*) FILTER (WHERE closed_by = 'resolved') AS resolved,
           count(*) FILTER (WHERE closed_by = 'withdrawn') AS withdrawn
    FROM counted
    GROUP BY portal_id
),
-- listed with zeros: current agencies with dossiers the year before, or named by the rubric
previous_year AS (
    SELECT DISTINCT portal_id FROM dossiers
    WHERE received_on <= DATE '{previous_end}'
      AND (closed_on IS NULL OR closed_on >= DATE '{previous_start}')
),
listed AS (
    SELECT portal_id FROM read_csv('{rubric}', header = true, all_varchar = true)
    WHERE appendix = '03' AND listed_from::DATE <= DATE '{end}'
),
agencies AS (
    SELECT portal_id FROM counts
    UNION
    SELECT c.portal_id
    FROM (SELECT portal_id FROM previous_year UNION SELECT portal_id FROM listed) AS c
    JOIN portals AS p ON c.portal_id = p.portal_id
    WHERE p.in_force
),
rows AS (
    SELECT a.portal_id, coalesce(p.name, a.portal_id) AS portal_name, p.portal_group,
           {zeros},
           coalesce(c.total, 0) - coalesce(c.resolved, 0) - coalesce(c.withdrawn, 0)
               AS in_progress
    FROM agencies AS a
    LEFT JOIN counts AS c ON a.portal_id = c.portal_id
    LEFT JOIN portals AS p ON a.portal_id = p.portal_id
),
rated AS (
    SELECT *,
           resolved / nullif(total, 0) AS resolution_rate,
           ({on_time}) / nullif(resolved, 0) AS on_time_rate
    FROM rows
)
SELECT '{period}' AS period_id, DATE '{start}' AS period_start, DATE '{end}' AS period_end, *
FROM rated;
"""


# Appendix 02, appendix 01's deductions from posts and the summary's posts per group.

APPENDIX_02_SQL = """
-- the working-day calendar: weekdays less the holidays, plus the make-up Saturdays; `n`
-- numbers the working days, so a deadline is a difference of numbers
CREATE OR REPLACE TEMP TABLE working_days AS
SELECT day, is_working, sum(is_working::INTEGER) OVER (ORDER BY day) AS n
FROM (
    SELECT d.range::DATE AS day, coalesce(h.is_working_day, isodow(d.range) <= 5) AS is_working
    FROM range(DATE '{previous_start}' - INTERVAL 1 MONTH, DATE '{end}' + INTERVAL 1 YEAR,
               INTERVAL 1 DAY) AS d
    LEFT JOIN read_csv('{seeds}/public_holidays.csv', header = true,
                       types = {{'day': 'DATE', 'is_working_day': 'BOOLEAN'}}) AS h
        ON h.day = d.range::DATE
);
CREATE OR REPLACE TABLE main.bench_appendix_02 AS
WITH
events AS (
    SELECT question_id, event_id, event_type, occurred_at, occurred_on, portal_id,
           coalesce(responder_authorized, true) AS authorized
    FROM raw.question_events
    WHERE event_type IN ('submitted', 'accepted', 'answered', 'deleted')
      AND occurred_on <= DATE '{end}'
),
-- the first submission places a question: its agency, and the window of its date
submissions AS (
    SELECT question_id,
           arg_min({{'portal_id': portal_id, 'on': occurred_on}}, (occurred_at, event_id)) AS s
    FROM events
    WHERE event_type = 'submitted'
    GROUP BY question_id
),
-- the period's questions as its last day leaves them
questions AS (
    SELECT e.question_id, s.s.portal_id, s.s.on AS submitted_on,
           arg_max(e.event_type, (e.occurred_at, e.event_id)) AS status,
           arg_max(e.authorized, (e.occurred_at, e.event_id)) AS authorized,
           -- an answer with no acceptance before it accepts the question too
           min(e.occurred_on) FILTER (WHERE e.event_type IN ('accepted', 'answered'))
               AS accepted_on,
           min(e.occurred_on) FILTER (WHERE e.event_type = 'answered') AS answered_on
    FROM submissions AS s
    JOIN events AS e ON s.question_id = e.question_id
    WHERE s.s.on >= DATE '{start}'
    GROUP BY ALL
),
-- late: accepted, or answered, after the rubric's working days, or still waiting past them
judged AS (
    SELECT q.*,
           q.status != 'deleted' AND (
               coalesce(q.accepted_on > accept_due.day, DATE '{end}' > accept_due.day)
               OR (q.accepted_on IS NOT NULL
                   AND coalesce(q.answered_on > answer_due.day, DATE '{end}' > answer_due.day))
           ) AS late
    FROM questions AS q
    LEFT JOIN portals AS p ON q.portal_id = p.portal_id
    JOIN rubric AS r ON coalesce(p.bloc, 'government') = r.bloc
    JOIN working_days AS sent ON q.submitted_on = sent.day
    JOIN working_days AS accept_due ON accept_due.is_working
        AND accept_due.n = sent.n + (NOT sent.is_working)::INTEGER + r.qa_accept_working_days
    LEFT JOIN working_days AS accepted ON q.accepted_on = accepted.day
    LEFT JOIN working_days AS answer_due ON answer_due.is_working
        AND answer_due.n = accepted.n + (NOT accepted.is_working)::INTEGER
                           + r.qa_answer_working_days
),
counts AS (
    SELECT portal_id,
           count(*) AS total,
           count(*) FILTER (WHERE status = 'answered') AS answered,
           count(*) FILTER (WHERE status = 'accepted') AS waiting_answer,
           count(*) FILTER (WHERE status = 'submitted') AS waiting_acceptance,
           count(*) FILTER (WHERE status = 'deleted') AS deleted,
           count(*) FILTER (WHERE status = 'answered' AND NOT authorized) AS unauthorized,
           count(*) FILTER (WHERE late) AS late
    FROM judged
    GROUP BY portal_id
),
-- listed with zeros: current agencies asked the year before, or named by the rubric
agencies AS (
    SELECT portal_id FROM counts
    UNION
    SELECT c.portal_id
    FROM (
        SELECT submissions.s.portal_id FROM submissions
        WHERE submissions.s.on BETWEEN DATE '{previous_start}' AND DATE '{previous_end}'
        UNION
        SELECT portal_id
        FROM read_csv('{seeds}/rubric_listed_agencies.csv', header = true, all_varchar = true)
        WHERE appendix = '02' AND listed_from::DATE <= DATE '{end}'
    ) AS c
    JOIN portals AS p ON c.portal_id = p.portal_id
    WHERE p.in_force
),
rows AS (
    SELECT a.portal_id, coalesce(p.name, a.portal_id) AS portal_name,
           coalesce(p.bloc, 'government') AS bloc,
           coalesce(c.total, 0) AS total, coalesce(c.answered, 0) AS answered,
           coalesce(c.waiting_answer, 0) AS waiting_answer,
           coalesce(c.waiting_acceptance, 0) AS waiting_acceptance,
           coalesce(c.deleted, 0) AS deleted,
           coalesce(c.total, 0) - coalesce(c.deleted, 0) AS eligible,
           coalesce(c.unauthorized, 0) AS unauthorized, coalesce(c.late, 0) AS late
    FROM agencies AS a
    LEFT JOIN counts AS c ON a.portal_id = c.portal_id
    LEFT JOIN portals AS p ON a.portal_id = p.portal_id
)
SELECT '{period}' AS period_id, rows.*,
       CASE
           WHEN eligible = 0 THEN r.qa_score_none
           WHEN late = eligible THEN r.qa_score_all_late
           WHEN late > 0 OR unauthorized > 0 THEN r.qa_score_base
           WHEN eligible > r.qa_volume_min_per_month * {months}
               THEN r.qa_score_base + r.qa_on_time_bonus + r.qa_volume_bonus
           ELSE r.qa_score_base + r.qa_on_time_bonus
       END AS score
FROM rows
JOIN rubric AS r ON rows.bloc = r.bloc;
"""

POSTS_SQL = """
-- each post once, as first published (a later unpublishing leaves it counted)
CREATE OR REPLACE TEMP TABLE publications AS
SELECT portal_id, p.on AS published_on, p.category
FROM (
    SELECT portal_id,
           arg_min({{'on': occurred_on, 'category': category}}, (occurred_at, event_id)) AS p
    FROM raw.post_events
    WHERE event_type = 'published' AND occurred_on <= DATE '{end}'
    GROUP BY portal_id, post_id
);
-- appendix 01: each scored portal's posts, and the deduction for every mandatory category it
-- left empty (or sparse: under the rubric's items per month it was open), unless the board
-- assessed that category itself
CREATE OR REPLACE TABLE main.bench_appendix_01 AS
WITH
mandatory AS (
    SELECT bloc, category
    FROM read_csv('{seeds}/rubric_mandatory_categories.csv', header = true,
                  types = {{'effective_from': 'DATE'}})
    WHERE effective_from <= DATE '{end}'
    QUALIFY effective_from = max(effective_from) OVER (PARTITION BY bloc)
),
items AS (
    SELECT portal_id, category, count(*) AS items
    FROM publications
    WHERE published_on >= DATE '{start}'
    GROUP BY ALL
),
deductions AS (
    SELECT p.portal_id,
           sum(CASE
                   WHEN i.items IS NULL THEN r.information_missing_deduction
                   WHEN i.items < r.information_min_items_per_month * (datediff(
                            'month', greatest(DATE '{start}', p.registered_on), DATE '{end}'
                        ) + 1) THEN r.information_sparse_deduction
                   ELSE 0
               END) AS deductions
    FROM portals AS p
    JOIN rubric AS r ON p.bloc = r.bloc
    JOIN mandatory AS m ON p.bloc = m.bloc
    LEFT JOIN items AS i ON p.portal_id = i.portal_id AND m.category = i.category
    WHERE NOT EXISTS (
        SELECT 1 FROM raw.assessment_events AS a
        WHERE a.portal_id = p.portal_id AND a.period_id = '{period}'
          AND a.criterion = m.category
    )
    GROUP BY p.portal_id
)
SELECT '{period}' AS period_id, p.portal_id, p.name AS portal_name, p.bloc,
       r.information_scale AS scale,
       coalesce((SELECT sum(items) FROM items AS i WHERE i.portal_id = p.portal_id), 0) AS posts,
       coalesce(d.deductions, 0) AS deductions
FROM portals AS p
JOIN rubric AS r ON p.bloc = r.bloc
LEFT JOIN deductions AS d ON p.portal_id = d.portal_id
WHERE p.in_force AND p.scored;
-- the summary's posts per group: this period on the groups of its end, the same period last
-- year on those groups too (restated) and on the groups of its own end (as reported)
CREATE OR REPLACE TABLE main.bench_summary_posts AS
WITH
reporting AS (
    SELECT portal_group, arg_max(reporting_group, effective_from) AS reporting_group
    FROM read_csv('{seeds}/portal_groups.csv', header = true,
                  types = {{'effective_from': 'DATE'}})
    GROUP BY portal_group
),
today AS (
    SELECT p.portal_id, coalesce(g.reporting_group, p.portal_group) AS portal_group
    FROM portals AS p LEFT JOIN reporting AS g ON p.portal_group = g.portal_group
),
last_year AS (
    SELECT p.portal_id, coalesce(g.reporting_group, p.portal_group) AS portal_group
    FROM portals_at(DATE '{previous_end}') AS p
    LEFT JOIN reporting AS g ON p.portal_group = g.portal_group
),
counts AS (
    SELECT today.portal_group, 'value' AS reading, count(*) AS posts
    FROM publications AS x JOIN today ON x.portal_id = today.portal_id
    WHERE x.published_on >= DATE '{start}'
    GROUP BY ALL
    UNION ALL
    SELECT today.portal_group, 'restated', count(*)
    FROM publications AS x
    JOIN last_year ON x.portal_id = last_year.portal_id
    JOIN today ON x.portal_id = today.portal_id
    WHERE x.published_on BETWEEN DATE '{previous_start}' AND DATE '{previous_end}'
    GROUP BY ALL
    UNION ALL
    SELECT last_year.portal_group, 'as_reported', count(*)
    FROM publications AS x JOIN last_year ON x.portal_id = last_year.portal_id
    WHERE x.published_on BETWEEN DATE '{previous_start}' AND DATE '{previous_end}'
    GROUP BY ALL
),
grouped AS (
    SELECT * FROM counts
    UNION ALL
    SELECT 'all_components', reading, sum(posts) FROM counts
    WHERE portal_group != 'province'
    GROUP BY reading
),
-- last year has no figure when the stream's history begins after that window's first month
history AS (
    SELECT date_trunc('month', min(published_on)) <= DATE '{previous_start}' AS reaches_back
    FROM publications
),
rows AS (
    SELECT m.portal_group,
           coalesce(sum(g.posts) FILTER (WHERE g.reading = 'value'), 0)::DOUBLE AS value,
           CASE WHEN any_value(h.reaches_back) THEN coalesce(
               sum(g.posts) FILTER (WHERE g.reading = 'restated'), 0)::DOUBLE END
               AS value_same_period_last_year,
           CASE WHEN any_value(h.reaches_back) THEN coalesce(
               sum(g.posts) FILTER (WHERE g.reading = 'as_reported'), 0)::DOUBLE END
               AS value_same_period_last_year_as_reported
    FROM read_csv('{seeds}/summary_metrics.csv', header = true, all_varchar = true) AS m
    CROSS JOIN history AS h
    LEFT JOIN grouped AS g ON m.portal_group = g.portal_group
    WHERE m.metric = 'posts'
    GROUP BY m.portal_group
)
SELECT '{period}' AS period_id, *,
       value - value_same_period_last_year AS change,
       (value - value_same_period_last_year) / nullif(value_same_period_last_year, 0)
           AS change_pct
FROM rows;
"""


def baseline_sql(period: str, start: date, end: date) -> str:
    previous_start, previous_end = (d.replace(year=d.year - 1) for d in (start, end))
    cells = ",\n           ".join(
        f"count(*) FILTER (WHERE closed_by = 'resolved' AND level = {c[10]}"
        f" AND timeliness = '{c[12:]}') AS {c}"
        for c in CELLS
    )
    zeros = ", ".join(f"coalesce(c.{c}, 0) AS {c}" for c in COUNTS if c != "in_progress")
    on_time = " + ".join(c for c in CELLS if not c.endswith("_late"))
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    script = SHARED_SQL + APPENDIX_03_SQL + APPENDIX_02_SQL + POSTS_SQL
    return script.format(
        period=period,
        start=start,
        end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        months=months,
        tz=TZ,
        seeds=SEEDS,
        rubric=RUBRIC,
        cells=cells,
        zeros=zeros,
        on_time=on_time,
    )


# ---------------------------------------------------------------------------------------------
# Children: each runs in its own process.


def child_inputs(n: int, landing: Path) -> dict:
    """The dossier events and the registry, plus the seed years' posts and questions of the
    sample at the same scale as the dossiers (the sample's 1.0 is about 1M dossier events), so
    that the streams keep the province's proportions at every size."""
    import duckdb
    import numpy as np

    from sample import dossier_events, portal_registry, portals, posts, questions, schemas

    for stream in ("dossier", "portal", "post", "question"):
        (landing / stream).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    # Beyond one simulated province's worth, each further slice is another province's dossiers
    # (its own seed, its ids prefixed) on the same portals: memory stays that of one slice.
    first, last, total = None, None, 0
    for k, start in enumerate(range(0, n, PROVINCE_EVENTS)):
        events = dossier_events(min(PROVINCE_EVENTS, n - start), seed=7 + k)  # noqa: F841
        prefix = f"p{k}-" if k else ""
        con.execute(f"""
            COPY (SELECT * REPLACE ('{prefix}' || event_id AS event_id,
                                    '{prefix}' || dossier_id AS dossier_id) FROM events)
            TO '{landing}/dossier/events{f"-{k}" if k else ""}.parquet' (FORMAT parquet)""")
        lo, hi = con.execute("SELECT min(occurred_at), max(occurred_at) FROM events").fetchone()
        first, last = min(first or lo, lo), max(last or hi, hi)
        total += len(events)
        del events
    registry = portal_registry()  # noqa: F841 (read by DuckDB's replacement scan)
    units = portals.build()
    scale = n / 1_000_000
    post_table, _ = posts.simulate_seed_years(np.random.default_rng([7, 1]), units, scale)
    post_table = schemas.public(post_table)  # noqa: F841
    rows = questions.simulate_seed_years(np.random.default_rng([7, 2]), units, scale)
    everyone = portals.lineage(units, [p.portal_id for p in units.portals])
    rows = questions.onto_units_in_force(rows, units, everyone)
    question_table = schemas.public(schemas.table("question", rows))  # noqa: F841
    for table, path in (
        ("registry", "portal/registry.parquet"),
        ("post_table", "post/posts.parquet"),
        ("question_table", "question/questions.parquet"),
    ):
        con.execute(f"COPY {table} TO '{landing}/{path}' (FORMAT parquet)")
    return {
        "events": total,
        "posts": post_table.num_rows,
        "questions": question_table.num_rows,
        "first": str(first),
        "last": str(last),
    }


def child_run(landing: Path, db: Path, publish: Path, period: str, cutoff: str) -> dict:
    """`portal-warehouse run` in this process, with the job's step statistics kept."""
    from orchestration.cli import main, uncollected_imports

    with uncollected_imports():  # as the command imports what it runs
        import dagster as dg

    steps: dict[str, float] = {}
    run_ids: list[str] = []
    execute = dg.JobDefinition.execute_in_process

    def traced(self, *args, instance=None, **kwargs):
        instance = instance or dg.DagsterInstance.ephemeral()  # what the command would make
        result = execute(self, *args, instance=instance, **kwargs)
        run_ids.append(result.run_id)
        for s in instance.get_run_step_stats(result.run_id):
            if s.start_time and s.end_time:
                steps[s.step_key] = s.end_time - s.start_time
        return result

    dg.JobDefinition.execute_in_process = traced
    argv = ["run", "--period", period, "--landing", str(landing), "--db", str(db)]
    argv += ["--publish", str(publish)] + (["--cutoff", cutoff] if cutoff != "-" else [])
    started = time.time()
    code = main(argv)
    if code:
        raise SystemExit(f"portal-warehouse {' '.join(argv)} exited {code}")
    gc.freeze()  # and this process exits as the command does (orchestration.cli.entry)
    return {"steps": steps, "dbt": dbt_results(db, since=started)}


def dbt_results(db: Path, since: float) -> dict:
    """dbt's own account of the run's invocation (its run_results.json, in the warehouse's dbt
    target, when written since `since`: dbt does not run when nothing is new): the time from its
    first node to its last, and the nodes that took longest."""
    from ingest.reference import dbt_dir

    found = {}
    for path in (dbt_dir(db) / "target").glob("run_results.json"):
        if path.stat().st_mtime < since:
            continue
        results = json.loads(path.read_text())
        nodes = sorted(results["results"], key=lambda r: -r["execution_time"])
        by_kind: dict[str, float] = {}
        for r in nodes:
            kind = r["unique_id"].split(".")[0]
            by_kind[kind] = by_kind.get(kind, 0.0) + r["execution_time"]
        found["dbt_models"] = {
            "elapsed": results["elapsed_time"],
            "by_kind": by_kind,
            "slowest": [[r["unique_id"].split(".", 2)[-1], r["execution_time"]] for r in nodes[:6]],
        }
    return found


def child_baseline(db: Path, period: str, start: str, end: str) -> dict:
    import duckdb

    con = duckdb.connect(str(db))
    # a literal: binding a parameter makes the duckdb module import pandas (about a second)
    con.execute(f"SET TimeZone = '{TZ}'")
    # DuckDB's first advice for a large job; no table here needs its rows in insertion order
    con.execute("SET preserve_insertion_order = false")
    started = time.perf_counter()
    con.execute(baseline_sql(period, date.fromisoformat(start), date.fromisoformat(end)))
    con.execute("CHECKPOINT")
    rows = {
        table: con.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0]
        for _, _, table, _ in COMPARED
    }
    return {"sql_seconds": time.perf_counter() - started, "rows": rows}


def child_quarter(db: Path, landing: Path, touched: int) -> dict:
    """2024-Q1 on top of 2022-2023: 2023-Q1's dossiers one year on with new ids (dropping what
    would fall after the quarter), plus late closings and due changes of old open dossiers; and
    2023-Q1's posts one year on with new ids, plus an earlier publication, delivered late, of
    old posts (which moves them: the posts' incremental replay must see it); and 2023-Q1's
    question events one year on with new ids, plus late deletions of old questions (which the
    questions' incremental replay must see)."""
    import duckdb

    out, posts_out, questions_out = (landing / name for name in QUARTER_FILES)
    for folder in (posts_out.parent, questions_out.parent):
        folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    con.execute(f"SET TimeZone = '{TZ}'")
    quarter_end = "TIMESTAMPTZ '2024-04-01 00:00:00+07'"
    columns = (
        "event_id, event_type, occurred_at, portal_id, source, dossier_id, procedure_code,"
        " channel, service_level, due_at"
    )

    def moved_portal(portal: str, item: str) -> str:
        """The portal of an item moved one year on: the department split on 2023-12-27, so its
        work goes to the successors, half each by the item's hash."""
        return f"""CASE WHEN {portal} != 'so-gtvt-xd' THEN {portal}
                        WHEN hash({item}) % 2 = 0 THEN 'so-gtvt'
                        ELSE 'so-xay-dung' END"""

    def touch(kind: str, at: str, due: str | None, share: int) -> str:
        return f"""
            SELECT 'q24-touch-' || dossier_id || '.' || '{kind}', '{kind}',
                   TIMESTAMPTZ '{at}+07', portal_id, 'bench', dossier_id, NULL::VARCHAR,
                   NULL::VARCHAR, NULL::INTEGER,
                   {f"TIMESTAMPTZ '{due}+07'" if due else "NULL::TIMESTAMPTZ"}
            FROM still_open WHERE k % 3 = {share}"""

    con.execute(f"""
        COPY (
            WITH
            q1_dossiers AS (
                SELECT DISTINCT dossier_id FROM raw.dossier_events
                WHERE event_type = 'received'
                  AND occurred_on BETWEEN DATE '2023-01-01' AND DATE '2023-03-31'
            ),
            moved AS (
                SELECT 'q24-' || e.event_id AS event_id, e.event_type,
                       e.occurred_at + INTERVAL 365 DAY AS occurred_at,
                       {moved_portal("e.portal_id", "e.dossier_id")} AS portal_id,
                       e.source, 'q24-' || e.dossier_id AS dossier_id, e.procedure_code,
                       e.channel, e.service_level, e.due_at + INTERVAL 365 DAY AS due_at
                FROM raw.dossier_events AS e
                SEMI JOIN q1_dossiers AS q ON e.dossier_id = q.dossier_id
            ),
            still_open AS (
                SELECT dossier_id, arg_min(portal_id, occurred_at) AS portal_id,
                       row_number() OVER (ORDER BY hash(dossier_id), dossier_id) AS k
                FROM raw.dossier_events
                GROUP BY dossier_id
                HAVING count(*) FILTER (WHERE event_type = 'received') > 0
                   AND count(*) FILTER (WHERE event_type IN ('resolved', 'withdrawn')) = 0
                {f"QUALIFY k <= {touched}" if touched else ""}
            )
            SELECT {columns} FROM moved WHERE occurred_at < {quarter_end}
            UNION ALL {touch("resolved", "2024-01-10 10:00:00", None, 0)}
            UNION ALL {touch("due_changed", "2024-01-05 09:00:00", "2024-02-20 17:00:00", 1)}
            UNION ALL {touch("resolved", "2024-02-01 15:00:00", None, 1)}
            UNION ALL {touch("withdrawn", "2024-03-15 11:00:00", None, 2)}
        ) TO '{out}' (FORMAT parquet)
    """)
    con.execute(f"""
        COPY (
            SELECT 'q24-' || event_id AS event_id, event_type,
                   occurred_at + INTERVAL 365 DAY AS occurred_at,
                   {moved_portal("portal_id", "post_id")} AS portal_id,
                   source, 'q24-' || post_id AS post_id, kind, category, language, title
            FROM raw.post_events
            WHERE occurred_on BETWEEN DATE '2023-01-01' AND DATE '2023-03-31'
              AND occurred_at + INTERVAL 365 DAY < {quarter_end}
            UNION ALL
            SELECT 'q24-earlier-' || event_id, event_type, occurred_at - INTERVAL 1 DAY,
                   portal_id, source, post_id, kind, category, language, title
            FROM raw.post_events
            WHERE event_type = 'published'
              AND occurred_on BETWEEN DATE '2023-06-02' AND DATE '2023-06-30'
            QUALIFY row_number() OVER (ORDER BY hash(event_id), event_id) <= 300
        ) TO '{posts_out}' (FORMAT parquet)
    """)
    con.execute(f"""
        COPY (
            SELECT 'q24-' || event_id AS event_id, event_type,
                   occurred_at + INTERVAL 365 DAY AS occurred_at,
                   {moved_portal("portal_id", "question_id")} AS portal_id,
                   source, 'q24-' || question_id AS question_id, topic, deletion_reason,
                   responder_authorized, rating
            FROM raw.question_events
            WHERE occurred_on BETWEEN DATE '2023-01-01' AND DATE '2023-03-31'
              AND occurred_at + INTERVAL 365 DAY < {quarter_end}
            UNION ALL
            SELECT 'q24-deleted-' || question_id, 'deleted', TIMESTAMPTZ '2024-01-15 10:00:00+07',
                   portal_id, 'bench', question_id, NULL, 'violation', NULL, NULL
            FROM (
                SELECT question_id, arg_min(portal_id, occurred_at) AS portal_id
                FROM raw.question_events
                GROUP BY question_id
                HAVING count(*) FILTER (WHERE event_type = 'submitted') > 0
                   AND count(*) FILTER (WHERE event_type = 'deleted') = 0
            )
            QUALIFY row_number() OVER (ORDER BY hash(question_id), question_id) <= 100
        ) TO '{questions_out}' (FORMAT parquet)
    """)
    events, touches = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE event_id LIKE 'q24-touch-%') FROM '{out}'"
    ).fetchone()
    posts, earlier = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE event_id LIKE 'q24-earlier-%') FROM '{posts_out}'"
    ).fetchone()
    questions, deletions = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE event_id LIKE 'q24-deleted-%')"
        f" FROM '{questions_out}'"
    ).fetchone()
    return {
        "events": events + posts + questions,
        "touches": touches,
        "posts": posts,
        "earlier": earlier,
        "questions": questions,
        "deletions": deletions,
    }


# The baseline's outputs against the marts: (mart, its rows for the period, baseline table, the
# columns compared). Appendix 02 and 01 leave out the notes (Vietnamese text) and the STT, and
# appendix 01 the score (the board's assessments add to it); the summary keeps its posts rows.
COMPARED = (
    (
        "appendix_03_dossiers",
        "",
        "bench_appendix_03",
        ["portal_id", *COUNTS, "resolution_rate", "on_time_rate"],
    ),
    (
        "appendix_02_questions",
        "",
        "bench_appendix_02",
        ["portal_id", "portal_name", "total", "answered", "waiting_answer"]
        + ["waiting_acceptance", "deleted", "eligible", "late", "score"],
    ),
    (
        "appendix_01_information",
        "",
        "bench_appendix_01",
        ["portal_id", "portal_name", "bloc", "scale", "posts", "deductions"],
    ),
    (
        "report_summary",
        "AND metric = 'posts'",
        "bench_summary_posts",
        ["portal_group", "value", "value_same_period_last_year"]
        + ["value_same_period_last_year_as_reported", "change", "change_pct"],
    ),
)


def child_compare_baseline(run_db: Path, base_db: Path, ingested_db: Path, period: str) -> dict:
    """The baseline against the marts: appendix 03's totals, then every output's rows, column
    for column; and whether the run's own ingest found nothing new (the ledgers hold as many
    batches)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{run_db}' AS run (READ_ONLY)")
    con.execute(f"ATTACH '{base_db}' AS base (READ_ONLY)")
    con.execute(f"ATTACH '{ingested_db}' AS ingested (READ_ONLY)")
    mart = f"(SELECT * FROM run.marts.appendix_03_dossiers WHERE period_id = '{period}')"
    sums = "sum(total), sum(resolved), sum(in_progress), count(*)"
    ours = con.execute(f"SELECT {sums} FROM {mart}").fetchone()
    base = con.execute(f"SELECT {sums} FROM base.main.bench_appendix_03").fetchone()
    rows, diff = {}, []
    for name, where, table, columns in COMPARED:
        listed = ", ".join(columns)
        mart = f"(SELECT {listed} FROM run.marts.{name} WHERE period_id = '{period}' {where})"
        mine = f"(SELECT {listed} FROM base.main.{table})"
        rows[name] = con.execute(
            f"SELECT (SELECT count(*) FROM {mart}), (SELECT count(*) FROM {mine})"
        ).fetchone()
        diff += con.execute(f"""
            SELECT '{name}', 'run' AS side, * FROM (FROM {mart} EXCEPT ALL FROM {mine})
            UNION ALL
            SELECT '{name}', 'baseline', * FROM (FROM {mine} EXCEPT ALL FROM {mart})
            ORDER BY 3, 2 LIMIT 10
        """).fetchall()
    ledgers = [
        con.execute(f"SELECT count(*) FROM {db}.raw.ingest_ledger").fetchone()[0]
        for db in ("run", "ingested")
    ]
    diff = [list(map(str, r)) for r in diff]
    return {
        "ours": list(ours),
        "base": list(base),
        "rows": {k: list(v) for k, v in rows.items()},
        "diff": diff,
        "ledgers": ledgers,
    }


def child_compare_marts(a_db: Path, b_db: Path, period: str) -> dict:
    """The period's marts and the incremental replays of two warehouses, row for row."""
    import duckdb

    from orchestration.checks import PERIOD_MARTS

    con = duckdb.connect()
    con.execute(f"ATTACH '{a_db}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b_db}' AS b (READ_ONLY)")
    marts = (*PERIOD_MARTS, *PERIOD_FACTS)
    relations = {f"marts.{m}": f"WHERE period_id = '{period}'" for m in marts}
    replays = tuple(
        f"intermediate.{r}"
        for r in ("int_dossier_lifecycle", "int_post_publications", "int_question_status")
    )
    relations |= dict.fromkeys(replays, "")
    found = {}
    for relation, where in relations.items():
        # when each was last ingested differs, by construction
        exclude = " EXCLUDE (last_ingested_at)" if relation in replays else ""
        rows, only_a, only_b = con.execute(f"""
            WITH x AS (SELECT *{exclude} FROM a.{relation} {where}),
                 y AS (SELECT *{exclude} FROM b.{relation} {where})
            SELECT (SELECT count(*) FROM x),
                   (SELECT count(*) FROM (FROM x EXCEPT ALL FROM y)),
                   (SELECT count(*) FROM (FROM y EXCEPT ALL FROM x))
        """).fetchone()
        found[relation] = [rows, only_a, only_b]
    accepted = {
        side: con.execute(
            f"SELECT source_file, rows_read, accepted FROM {side}.raw.ingest_ledger"
            " WHERE list_contains(?, source_file) ORDER BY source_file",
            [list(QUARTER_FILES)],
        ).fetchall()
        for side in ("a", "b")
    }
    return {"relations": found, "accepted": accepted}


def child_drop_models(db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db))
    for schema in ("staging", "intermediate", "marts"):
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    con.execute("CHECKPOINT")
    return {}


CHILDREN = {
    "inputs": lambda n, landing: child_inputs(int(n), Path(landing)),
    "run": lambda landing, db, publish, period, cutoff: child_run(
        Path(landing), Path(db), Path(publish), period, cutoff
    ),
    "baseline": lambda db, period, start, end: child_baseline(Path(db), period, start, end),
    "quarter": lambda db, out, touched: child_quarter(Path(db), Path(out), int(touched)),
    "compare-baseline": lambda a, b, c, period: child_compare_baseline(
        Path(a), Path(b), Path(c), period
    ),
    "compare-marts": lambda a, b, period: child_compare_marts(Path(a), Path(b), period),
    "drop-models": lambda db: child_drop_models(Path(db)),
}


# ---------------------------------------------------------------------------------------------
# The parent: spawn, poll, report.


def child_env(scratch: Path) -> dict:
    env = dict(os.environ)
    env.pop("DAGSTER_HOME", None)  # the run's Dagster home beside its warehouse, as by default
    # dagster-dbt copies the partial-parse file it finds here into the warehouse's dbt target
    # on its first run, as it would from models/target
    target = scratch / "dbt-target"
    target.mkdir()
    parsed = ROOT / "models" / "target" / "partial_parse.msgpack"
    if parsed.exists():
        shutil.copyfile(parsed, target / parsed.name)
    env["DBT_TARGET_PATH"] = str(target)
    env.setdefault("PORTAL_WAREHOUSE_TZ", TZ)
    return env


def measure(argv: list[str], env: dict, log: Path) -> dict:
    """Run `argv` to its end; wall seconds, peak RSS of its process tree (polled) and of its
    largest process (rusage), and the JSON its last line prints."""
    import psutil

    with open(log, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, text=True
        )
        peak = [0]
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                total = 0
                try:
                    root = psutil.Process(proc.pid)
                    for p in [root, *root.children(recursive=True)]:
                        with contextlib.suppress(psutil.Error):
                            total += p.memory_info().rss
                except psutil.Error:
                    pass
                peak[0] = max(peak[0], total)
                done.wait(0.1)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        poller.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        tail = log.read_text(errors="replace").splitlines()[-40:]
        raise SystemExit(f"FAILED ({proc.returncode}): {' '.join(argv)}\n" + "\n".join(tail))
    lines = log.read_text(errors="replace").strip().splitlines()
    result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    # wait4's rusage is the child's own, with its waited-for descendants folded in: ru_maxrss
    # is then the largest of those processes, not their sum
    return result | {
        "seconds": seconds,
        "tree_mb": peak[0] / 2**20,
        "proc_mb": usage.ru_maxrss / 1024,
    }


def child(kind: str, *args: str) -> list[str]:
    return [sys.executable, __file__, "--child", kind, *args]


def copy(src: Path, folder: Path) -> Path:
    """The warehouse copied into a folder of its own under a deployment's file name, so that a
    run's dbt starts from the project's parse state, as a deployment's next run starts from its
    last (a new name would make dbt parse everything: dbt_project.profile_env)."""
    folder.mkdir()
    return Path(shutil.copyfile(src, folder / "warehouse.duckdb"))


def best(runs: list[dict]) -> dict:
    """The fastest run, with the highest peak RSS of all of them."""
    return min(runs, key=lambda r: r["seconds"]) | {
        "tree_mb": max(r["tree_mb"] for r in runs),
        "proc_mb": max(r["proc_mb"] for r in runs),
    }


def fail(message: str) -> None:
    print(f"\nFAILED: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def row(events, what, r, base=None, ratio=None, target="", ok=None) -> None:
    base_s = f"{base:>8.2f}" if base is not None else f"{'':>8}"
    ratio_s = f"{ratio:>6.2f}x" if ratio is not None else f"{'':>7}"
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    print(
        f"{events:>11,} {what:<22} {r['seconds']:>8.2f} {r['tree_mb']:>8.0f} {r['proc_mb']:>8.0f}"
        f" {base_s} {ratio_s} {target:>8}  {verdict}",
        flush=True,
    )


def header() -> None:
    print(
        f"\n{'events':>11} {'what':<22} {'seconds':>8} {'tree MB':>8} {'proc MB':>8}"
        f" {'base s':>8} {'ratio':>7} {'target':>8}  verdict",
        flush=True,
    )


def print_steps(label: str, run: dict, detail: bool) -> None:
    """Dagster's step durations; for a dbt step, dbt's own time from first node to last."""
    steps, dbt = run["steps"], run.get("dbt", {})
    parts = []
    for key in [k for k in STEPS if k in steps] + [k for k in steps if k not in STEPS]:
        inner = f" (dbt nodes {dbt[key]['elapsed']:.1f})" if key in dbt else ""
        parts.append(f"{key} {steps[key]:.1f}{inner}")
    outside = run["seconds"] - sum(steps.values())
    print(f"{'':>13}{label} steps (s): {', '.join(parts)}; outside the steps {outside:.1f}")
    for key, d in dbt.items() if detail else ():
        kinds = ", ".join(f"{k} {v:.1f}" for k, v in d["by_kind"].items())
        slowest = ", ".join(f"{name} {t:.1f}" for name, t in d["slowest"])
        print(f"{'':>15}{key}: node seconds by kind: {kinds}; slowest: {slowest}")
    sys.stdout.flush()


def bench_size(n: int, repeat: int, incremental: bool, work: Path, touched: int) -> dict:
    env = child_env(work)
    logs = work / "bench-logs"  # (the run keeps its own log in <db folder>/logs)
    logs.mkdir()
    landing = work / "landing"
    inputs = measure(child("inputs", str(n), str(landing)), env, logs / "inputs.log")
    ingested = work / "ingested.duckdb"
    pw = str(Path(sys.executable).parent / "portal-warehouse")
    ingest = measure(
        [pw, "ingest", "--landing", str(landing), "--db", str(ingested)], env, logs / "ingest.log"
    )
    events = inputs["events"]
    print(
        f"# {events:,} dossier events {inputs['first'][:10]}..{inputs['last'][:10]}, "
        f"{inputs['posts']:,} post and {inputs['questions']:,} question events; "
        f"ingest {ingest['seconds']:.1f} s, tree {ingest['tree_mb']:.0f} MB, "
        f"{ingested.stat().st_size / 2**20:.0f} MB file",
        flush=True,
    )

    start, end = f"{PERIOD[:4]}-01-01", CUTOFF
    runs, bases = [], []
    for i in range(repeat):  # interleaved, so that drift in the machine's load hits both
        db = copy(ingested, work / f"run-{i}")
        runs.append(
            measure(
                child("run", str(landing), str(db), str(work / f"publish-{i}"), PERIOD, CUTOFF),
                env,
                logs / f"run-{i}.log",
            )
            | {"db": str(db)}
        )
        # said now: a baseline that fails later (out of memory at 100M) must not lose it
        print(
            f"# run {i}: {runs[-1]['seconds']:.1f} s, tree {runs[-1]['tree_mb']:.0f} MB,"
            f" proc {runs[-1]['proc_mb']:.0f} MB",
            flush=True,
        )
        base_db = copy(ingested, work / f"base-{i}")
        bases.append(
            measure(child("baseline", str(base_db), PERIOD, start, end), env, logs / f"b-{i}.log")
            | {"db": str(base_db)}
        )
    run, base = best(runs), best(bases)
    check = measure(
        child("compare-baseline", runs[-1]["db"], bases[-1]["db"], str(ingested), PERIOD),
        env,
        logs / "cmp.log",
    )
    if check["ledgers"][0] != check["ledgers"][1]:
        fail(f"the run's own ingest found something new: ledgers {check['ledgers']}")
    if check["ours"] != check["base"] or check["diff"]:
        fail(
            f"baseline and marts differ at {events:,} events: appendix 03 run (total, resolved,"
            f" in_progress, rows) = {check['ours']}, baseline = {check['base']}; rows (run,"
            f" baseline) = {check['rows']}; rows that differ: {check['diff']}"
        )
    result = {"events": events, "ingest": ingest, "run": run, "base": base, "check": check}
    result["ratio"] = run["seconds"] / base["seconds"]
    # The same command again on the warehouse it built, nothing new landed: what a re-run costs,
    # as `portal-warehouse` itself (the child's step tracing would import Dagster first).
    again_argv = [pw, "run", "--period", PERIOD, "--cutoff", CUTOFF, "--landing", str(landing)]
    again_argv += ["--db", runs[-1]["db"], "--publish", str(work / f"publish-{repeat - 1}")]
    again = [measure(again_argv, env, logs / f"again-{i}.log") for i in range(repeat)]
    result["again"] = best(again)
    said = (logs / f"again-{repeat - 1}.log").read_text()
    result["again_said"] = said.strip().splitlines()[-1] if said.strip() else ""
    for extra in runs[:-1] + bases[:-1]:
        Path(extra["db"]).unlink()
    if not incremental:
        return result

    # One more quarter on top of the warehouse the last run built.
    built = Path(runs[-1]["db"])
    quarter = measure(
        child("quarter", str(ingested), str(landing), str(touched)), env, logs / "quarter.log"
    )
    stripped = copy(built, work / "stripped")
    measure(child("drop-models", str(stripped)), env, logs / "drop.log")
    incs, fulls = [], []
    for i in range(repeat):
        inc_db = copy(built, work / f"inc-{i}")
        incs.append(
            measure(
                child(
                    "run", str(landing), str(inc_db), str(work / f"pub-inc-{i}"), NEXT_PERIOD, "-"
                ),
                env,
                logs / f"inc-{i}.log",
            )
            | {"db": str(inc_db)}
        )
        full_db = copy(stripped, work / f"full-{i}")
        fulls.append(
            measure(
                child(
                    "run", str(landing), str(full_db), str(work / f"pub-full-{i}"), NEXT_PERIOD, "-"
                ),
                env,
                logs / f"full-{i}.log",
            )
            | {"db": str(full_db)}
        )
    same = measure(
        child("compare-marts", incs[-1]["db"], fulls[-1]["db"], NEXT_PERIOD),
        env,
        logs / "cmp-marts.log",
    )
    result |= {"quarter": quarter, "inc": best(incs), "full": best(fulls), "same": same}
    result["inc_ratio"] = result["inc"]["seconds"] / result["full"]["seconds"]
    return result


def report(r: dict, detail: bool) -> None:
    n, run, base = r["events"], r["run"], r["base"]
    judged = n >= RATIO_JUDGED_FROM  # below, fixed costs dominate: the ratio is shown only
    ok = (r["ratio"] <= TARGET_RATIO or not judged) and run["tree_mb"] <= RSS_LIMIT_MB
    target = f"<={TARGET_RATIO:g}x" if judged else "-"
    row(n, "ingest (not in ratio)", r["ingest"], ok=r["ingest"]["tree_mb"] <= RSS_LIMIT_MB)
    row(n, f"run {PERIOD}", run, base["seconds"], r["ratio"], target, ok)
    row(n, "baseline (hand SQL)", base, ok=base["tree_mb"] <= RSS_LIMIT_MB)
    print_steps(f"run {PERIOD}", run, detail)
    again_ok = r["again"]["seconds"] <= TARGET_NOTHING_NEW or n != NOTHING_NEW_JUDGED_AT
    target = f"<={TARGET_NOTHING_NEW:g}s" if n == NOTHING_NEW_JUDGED_AT else "-"
    row(n, "again, nothing new", r["again"], target=target, ok=again_ok)
    print(f"{'':>13}again: {r['again_said']}", flush=True)
    ours, other = r["check"]["ours"], r["check"]["base"]
    print(
        f"{'':>13}check: appendix 03 total {ours[0]:,}, resolved {ours[1]:,}, in progress"
        f" {ours[2]:,}, {ours[3]} agencies = baseline's {other[:3]}, {other[3]}; baseline SQL"
        f" alone {base['sql_seconds']:.2f} s",
        flush=True,
    )
    equal = ", ".join(f"{name} {rows[0]}" for name, rows in r["check"]["rows"].items())
    print(f"{'':>13}rows equal, column for column: {equal}", flush=True)
    if "inc" in r:
        inc, full, q = r["inc"], r["full"], r["quarter"]
        ok = r["inc_ratio"] < TARGET_INCREMENTAL and inc["tree_mb"] <= RSS_LIMIT_MB
        row(n + q["events"], f"incremental {NEXT_PERIOD}", inc, ok=ok)
        row(
            n + q["events"],
            f"full rebuild {NEXT_PERIOD}",
            full,
            ratio=r["inc_ratio"],
            target=f"<{TARGET_INCREMENTAL:.0%}",
            ok=ok and full["tree_mb"] <= RSS_LIMIT_MB,
        )
        print_steps("incremental", inc, detail)
        print_steps("full rebuild", full, detail)
        print(
            f"{'':>13}quarter: {q['events']:,} new events ({q['touches']:,} on old dossiers;"
            f" {q['posts']:,} post events, {q['earlier']} of them earlier publications of old"
            f" posts; {q['questions']:,} question events, {q['deletions']} of them late deletions"
            " of old questions);"
            f" identical: {r['same']['relations']}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest counts")
    parser.add_argument("--workdir", type=Path, help="scratch folder parent (default: TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folders")
    parser.add_argument(
        "--no-quarter", action="store_true", help="skip the incremental quarter at the largest size"
    )
    parser.add_argument(
        "--touched",
        type=int,
        default=300,
        help="old dossiers still open that the quarter closes or re-dates (0: every one)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, *rest = args.child
        result = CHILDREN[kind](*rest)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result, default=str), flush=True)
        return

    largest = max(args.sizes)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"$ python bench/build.py {' '.join(sys.argv[1:])}")
    print(
        f"period {PERIOD} cutoff {CUTOFF}; best of {args.repeat}; seconds = wall time of the"
        f" whole process; tree MB = peak RSS summed over the process tree (psutil, 0.1 s);"
        f" proc MB = largest single process (ru_maxrss); load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results = []
    for n in sorted(args.sizes):
        work = Path(tempfile.mkdtemp(prefix=f"bench-build-{n}-", dir=args.workdir))
        try:
            incremental = n == largest and not args.no_quarter
            results.append(bench_size(n, args.repeat, incremental, work, args.touched))
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
            else:
                print(f"# kept {work}", flush=True)
        if len(results) == 1:
            header()
        report(results[-1], detail=n == largest)
    print(f"load average at the end {os.getloadavg()[0]:.2f}", flush=True)
    failed = []
    for r in results:
        same = r.get("same")
        if same:
            bad = {k: v for k, v in same["relations"].items() if v[1] or v[2]}
            if bad:
                failed.append(f"incremental and full rebuild differ: {bad}")
            for side, rows in same["accepted"].items():
                whole = [name for name, read, accepted in rows if read == accepted]
                if sorted(whole) != sorted(QUARTER_FILES):
                    failed.append(f"the new quarter was not wholly accepted ({side}): {rows}")
    if failed:
        fail("; ".join(failed))


if __name__ == "__main__":
    main()
