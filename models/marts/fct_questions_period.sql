{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Q&A counts per agency for the run's period (EVENTS.md, stream `question`): a question belongs
-- to the window holding its submission; its status is the one in force at the window's end.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

status_at_end as (
    select questions.*
    from {{ ref('int_question_status') }} as questions
    cross join run_period
    where
        questions.submitted_on between run_period.period_start and run_period.period_end
        and questions.status_from_local < {{ end_of_day('run_period.period_end') }}
        and (
            questions.status_to_local is null
            or questions.status_to_local >= {{ end_of_day('run_period.period_end') }}
        )
),

counts as (
    select
        portal_id,
        count(*) as total,
        count(*) filter (where status = 'answered') as answered,
        count(*) filter (where status = 'waiting_answer') as waiting_answer,
        count(*) filter (where status = 'waiting_acceptance') as waiting_acceptance,
        count(*) filter (where status = 'deleted') as deleted,
        count(*) filter (
            where status = 'answered' and not responder_authorized
        ) as answered_unauthorized
    from status_at_end
    group by portal_id
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    counts.*,
    counts.total - counts.deleted as eligible
from counts
cross join run_period
