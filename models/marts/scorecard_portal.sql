{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- A portal's scorecard for the period (RUBRIC.md §4): its three component scores with their
-- maxima, from appendices 01, 02 and 03; a component is null where the agency is not listed.
-- Agencies take part in different components, so the rank compares the share of the points
-- they could get, within the bloc.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

information as (
    select appendix.*
    from {{ ref('appendix_01_information') }} as appendix
    inner join run_period on appendix.period_id = run_period.period_id
),

questions as (
    select appendix.*
    from {{ ref('appendix_02_questions') }} as appendix
    inner join run_period on appendix.period_id = run_period.period_id
),

dossiers as (
    select appendix.*
    from {{ ref('appendix_03_dossiers') }} as appendix
    inner join run_period on appendix.period_id = run_period.period_id
),

agencies as (
    select portal_id from information
    union
    select portal_id from questions
    union
    select portal_id from dossiers
),

components as (
    select
        agencies.portal_id,
        coalesce(
            information.portal_name, questions.portal_name, dossiers.portal_name
        ) as portal_name,
        coalesce(portals.bloc, 'government') as bloc,
        coalesce(portals.scored, false) as scored,
        information.score as information_score,
        information.score_ceiling as information_max,
        questions.score as qa_score,
        questions.score_max as qa_max,
        dossiers.score as dossier_score,
        dossiers.score_max as dossier_max
    from agencies
    left join information on agencies.portal_id = information.portal_id
    left join questions on agencies.portal_id = questions.portal_id
    left join dossiers on agencies.portal_id = dossiers.portal_id
    left join {{ ref('int_portal_at_period_end') }} as portals
        on agencies.portal_id = portals.portal_id
),

totals as (
    select
        *,
        coalesce(information_score, 0) + coalesce(qa_score, 0) + coalesce(dossier_score, 0)
            as total_score,
        coalesce(information_max, 0) + coalesce(qa_max, 0) + coalesce(dossier_max, 0)
            as total_max
    from components
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    totals.*,
    totals.total_score / totals.total_max as score_share,
    dense_rank() over (
        partition by totals.bloc order by totals.total_score / totals.total_max desc
    )::integer as rank_in_bloc
from totals
cross join run_period
