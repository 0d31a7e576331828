{{ config(tags=['period']) }}
-- Every report period of the years the events cover, and the run's period with its cutoff.
-- A period runs from 1 January (or its quarter's first day) to its last day, or to the cutoff.
-- The period and its cutoff: dbt's --vars when given, else what the run sets in the environment
-- (orchestration/assets/transform.py). The environment is read only when the model runs, not
-- when dbt parses it: a variable read at parse time is part of the parse state, and each new
-- period would parse the project again (1 s of every run).
{% set run_period = env_var('PORTAL_WAREHOUSE_PERIOD', '2023-9M') if execute else '2023-9M' %}
{% set period_id = var('period_id', run_period) %}
{% set cutoff = var('cutoff', env_var('PORTAL_WAREHOUSE_CUTOFF', '') if execute else '') %}
with

kinds (kind, first_month, last_month) as (
    values
    ('Q1', 1, 3), ('Q2', 4, 6), ('Q3', 7, 9), ('Q4', 10, 12),
    ('H1', 1, 6), ('9M', 1, 9), ('FY', 1, 12)
),

event_years as (
    select year(occurred_on) as year from {{ ref('stg_dossier_events') }}
    union
    select year(occurred_on) from {{ ref('stg_question_events') }}
    union
    select year(occurred_on) from {{ ref('stg_post_events') }}
    union
    select left('{{ period_id }}', 4)::integer
),

standard as (
    select
        event_years.year || '-' || kinds.kind as period_id,
        kinds.kind as period_kind,
        event_years.year,
        kinds.last_month - kinds.first_month + 1 as months,
        make_date(event_years.year, kinds.first_month, 1) as period_start,
        last_day(make_date(event_years.year, kinds.last_month, 1)) as standard_end
    from event_years
    cross join kinds
),

with_cutoff as (
    select
        *,
        {% if cutoff %}
            case
                when period_id = '{{ period_id }}' then '{{ cutoff }}'::date
                else standard_end
            end
        {% else %}
            standard_end
        {% endif %} as period_end
    from standard
)

select
    period_id,
    period_kind,
    year,
    period_start,
    standard_end,
    period_end,
    period_end < standard_end as is_cut_off,
    -- the same month/day window one year earlier ("cùng kỳ"); 29/02 maps to 28/02
    (period_start - interval 1 year)::date as previous_year_start,
    (period_end - interval 1 year)::date as previous_year_end,
    -- the window of as many months just before ("kỳ trước"), which appendix 01.2 compares with
    (period_start - to_months(months))::date as previous_period_start,
    (period_start - interval 1 day)::date as previous_period_end,
    period_id = '{{ period_id }}' as is_run_period
from with_cutoff
-- a bad period id or cutoff stops the build here, with its reason, rather than build nothing
where
    case
        when not exists (
                select 1 from with_cutoff as run
                where run.period_id = '{{ period_id }}'
            )
            then error(
                    'unknown report period {{ period_id }}:'
                    || ' expected YYYY-Qn, YYYY-H1, YYYY-9M or YYYY-FY'
                )
        when period_end not between period_start and standard_end
            then error('cutoff ' || period_end || ' is outside period ' || period_id)
        else true
    end
