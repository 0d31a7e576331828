{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Appendix 03 ("Phụ biểu 03"): online public-service dossiers per agency. Listed: every agency
-- with dossiers in the period, and every current agency that had some the year before or that
-- the rubric lists; an agency with nothing in the period gets a row of zeros.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

facts as (
    select facts.*
    from {{ ref('fct_dossiers_period') }} as facts
    inner join run_period on facts.period_id = run_period.period_id
),

portals as (
    select * from {{ ref('int_portal_at_period_end') }}
),

handled_the_year_before as (
    select distinct dossiers.portal_id
    from {{ ref('int_dossier_lifecycle') }} as dossiers
    cross join run_period
    where
        {{ dossier_open_during(
            'dossiers', 'run_period.previous_year_start', 'run_period.previous_year_end'
        ) }}
),

agencies as (
    {{ listed_agencies('03', 'handled_the_year_before') }}
),

agency_rows as (
    select
        agencies.portal_id,
        coalesce(portals.name, agencies.portal_id) as portal_name,
        portals.portal_group,
        coalesce(facts.total, 0) as total,
        coalesce(facts.carried_over, 0) as carried_over,
        coalesce(facts.received_counter, 0) as received_counter,
        coalesce(facts.received_online, 0) as received_online,
        {% for cell, _, _ in resolved_cells() %}
            coalesce(facts.{{ cell }}, 0) as {{ cell }},
        {% endfor %}
        coalesce(facts.resolved, 0) as resolved,
        coalesce(facts.withdrawn, 0) as withdrawn,
        coalesce(facts.in_progress, 0) as in_progress
    from agencies
    left join facts on agencies.portal_id = facts.portal_id
    left join portals on agencies.portal_id = portals.portal_id
),

rated as (
    select
        *,
        resolved / nullif(total, 0) as resolution_rate,
        (
            {% for cell, _, _ in resolved_cells(['early', 'on_time']) %}
                {{ cell }}{{ ' +' if not loop.last }}
            {% endfor %}
        ) / nullif(resolved, 0) as on_time_rate,
        null::double as score  -- the rubric's tiers come with the scorecard
    from agency_rows
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    row_number() over (
        order by
            rated.on_time_rate desc nulls last,
            rated.total desc,
            rated.portal_name asc,
            rated.portal_id asc
    )::integer as display_order,
    rated.*
from rated
cross join run_period
