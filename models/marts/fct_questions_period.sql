{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
{% set deletion_reasons = ['duplicate', 'violation', 'forwarded', 'invalid_asker', 'other'] %}
-- Q&A counts per agency for the run's period and the same period last year (EVENTS.md, stream
-- `question`): a question belongs to the window holding its submission; its status is the one in
-- force at the window's end. An eligible question is late when it was accepted, or answered,
-- after the rubric's deadline in working days, or still waits for either past it.
-- Deleted questions are split by `deletion_reason` (a deletion without one counts as `other`).
-- A question's rating is the asker's latest `rated` event (by `occurred_at`, then `event_id`) on
-- or before the window's end, and counts in the window of the question's submission, like the
-- question itself, whatever its status: the report describes the questions of the period.
with

windows as (
    select * from {{ ref('int_run_windows') }}
),

portals as (
    select * from {{ ref('int_portal_at_period_end') }}
),

deadlines as (
    select
        bloc,
        qa_accept_working_days,
        qa_answer_working_days
    from {{ ref('int_rubric_in_force') }}
),

questions as (
    select
        windows.period_window,
        windows.window_end,
        questions.*
    from {{ ref('int_question_status') }} as questions
    inner join windows
        on questions.submitted_on between windows.window_start and windows.window_end
    where questions.status_from_local < {{ end_of_day('windows.window_end') }}
),

status_at_end as (
    select *
    from questions
    where
        status_to_local is null
        or status_to_local >= {{ end_of_day('window_end') }}
),

milestones as (
    select
        period_window,
        question_id,
        -- an answer with no acceptance before it accepts the question too
        min(status_from_local::date) filter (
            where status in ('waiting_answer', 'answered')
        ) as accepted_on,
        min(status_from_local::date) filter (where status = 'answered') as answered_on
    from questions
    group by period_window, question_id
),

with_deadlines as (
    select
        status_at_end.*,
        milestones.accepted_on,
        milestones.answered_on,
        {{ working_days_after('status_at_end.submitted_on', 'deadlines.qa_accept_working_days') }}
            as accept_due_on,
        {{ working_days_after('milestones.accepted_on', 'deadlines.qa_answer_working_days') }}
            as answer_due_on
    from status_at_end
    inner join milestones
        on
            status_at_end.period_window = milestones.period_window
            and status_at_end.question_id = milestones.question_id
    -- an agency's deadlines are its bloc's (a portal not yet registered counts as government's)
    left join portals on status_at_end.portal_id = portals.portal_id
    inner join deadlines on coalesce(portals.bloc, 'government') = deadlines.bloc
),

judged as (
    select
        *,
        status != 'deleted' and (
            coalesce(accepted_on > accept_due_on, window_end > accept_due_on)
            or (
                accepted_on is not null
                and coalesce(answered_on > answer_due_on, window_end > answer_due_on)
            )
        ) as is_late
    from with_deadlines
),

ratings as (
    select
        status_at_end.period_window,
        status_at_end.question_id,
        arg_max(rated.rating, row(rated.occurred_at, rated.event_id)) as rating
    from status_at_end
    inner join {{ ref('stg_question_events') }} as rated
        on
            status_at_end.question_id = rated.question_id
            and rated.event_type = 'rated'
            and rated.rating is not null
            and status_at_end.window_end >= rated.occurred_on
    group by status_at_end.period_window, status_at_end.question_id
),

with_ratings as (
    select
        judged.*,
        ratings.rating
    from judged
    left join ratings
        on judged.period_window = ratings.period_window and judged.question_id = ratings.question_id
),

counts as (
    select
        period_window,
        portal_id,
        count(*) as total,
        count(*) filter (where status = 'answered') as answered,
        count(*) filter (where status = 'waiting_answer') as waiting_answer,
        count(*) filter (where status = 'waiting_acceptance') as waiting_acceptance,
        count(*) filter (where status = 'deleted') as deleted,
        count(*) filter (
            where status = 'answered' and not responder_authorized
        ) as answered_unauthorized,
        count(*) filter (where is_late) as late,
        {% for reason in deletion_reasons %}
            count(*) filter (
                where status = 'deleted' and coalesce(deletion_reason, 'other') = '{{ reason }}'
            ) as deleted_{{ reason }},
        {% endfor %}
        count(rating) as rated,
        coalesce(sum(rating), 0) as rating_sum
    from with_ratings
    group by period_window, portal_id
)

select
    windows.period_id,
    run_period.period_start,
    run_period.period_end,
    windows.period_window,
    windows.window_start,
    windows.window_end,
    counts.portal_id,
    counts.total,
    counts.answered,
    counts.waiting_answer,
    counts.waiting_acceptance,
    counts.deleted,
    counts.answered_unauthorized,
    counts.late,
    counts.total - counts.deleted as eligible,
    {% for reason in deletion_reasons %}
        counts.deleted_{{ reason }},
    {% endfor %}
    counts.rated,
    counts.rating_sum
from counts
inner join windows on counts.period_window = windows.period_window
cross join {{ ref('int_run_period') }} as run_period
