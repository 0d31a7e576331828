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
{% set cells = [] %}
{% for level in [2, 3, 4] %}
    {% for timeliness in ['early', 'on_time', 'late'] %}
        {% do cells.append('resolved_l' ~ level ~ '_' ~ timeliness) %}
    {% endfor %}
{% endfor %}
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
        not dossiers.is_orphan
        and dossiers.received_on <= run_period.previous_year_end
        and (dossiers.closed_on is null or dossiers.closed_on >= run_period.previous_year_start)
),

listed_by_rubric as (
    select listed.portal_id
    from {{ ref('rubric_listed_agencies') }} as listed
    cross join run_period
    where listed.appendix = '03' and listed.listed_from <= run_period.period_end
),

agencies as (
    select portal_id from facts
    union
    select candidates.portal_id
    from (
        select portal_id from handled_the_year_before
        union
        select portal_id from listed_by_rubric
    ) as candidates
    inner join portals on candidates.portal_id = portals.portal_id
    where portals.is_in_force
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
        {% for cell in cells %}
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
            resolved_l2_early + resolved_l2_on_time
            + resolved_l3_early + resolved_l3_on_time
            + resolved_l4_early + resolved_l4_on_time
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
