{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Appendix 02 ("Phụ biểu 02"): the Q&A section per agency. Listed: every agency with questions
-- in the period, and every current agency that had some the year before or that the rubric
-- lists; an agency with nothing in the period gets a row of zeros.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

facts as (
    select facts.*
    from {{ ref('fct_questions_period') }} as facts
    inner join run_period on facts.period_id = run_period.period_id
),

portals as (
    select * from {{ ref('int_portal_at_period_end') }}
),

asked_the_year_before as (
    select distinct questions.portal_id
    from {{ ref('int_question_status') }} as questions
    cross join run_period
    where
        questions.submitted_on
        between run_period.previous_year_start and run_period.previous_year_end
),

agencies as (
    {{ listed_agencies('02', 'asked_the_year_before') }}
),

agency_rows as (
    select
        agencies.portal_id,
        coalesce(portals.name, agencies.portal_id) as portal_name,
        portals.portal_group,
        coalesce(facts.total, 0) as total,
        coalesce(facts.answered, 0) as answered,
        coalesce(facts.waiting_answer, 0) as waiting_answer,
        coalesce(facts.waiting_acceptance, 0) as waiting_acceptance,
        coalesce(facts.deleted, 0) as deleted,
        coalesce(facts.eligible, 0) as eligible,
        coalesce(facts.answered_unauthorized, 0) as answered_unauthorized,
        null::bigint as late,  -- working-day deadlines come with the scorecard
        null::double as score,
        null::varchar as note
    from agencies
    left join facts on agencies.portal_id = facts.portal_id
    left join portals on agencies.portal_id = portals.portal_id
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    row_number() over (
        order by
            agency_rows.score desc nulls last,
            agency_rows.total desc,
            agency_rows.portal_name asc,
            agency_rows.portal_id asc
    )::integer as display_order,
    agency_rows.*
from agency_rows
cross join run_period
