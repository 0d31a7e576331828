{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='question_id',
    )
}}
-- The replay of each question: one row per lifecycle event with the status it leaves and until
-- when that status holds, so the status at the end of any window is one interval lookup.
-- Incremental runs replay only the questions that new lifecycle events touched (a late
-- submission brings in the events that came before it).
with

{% set kinds = "('submitted', 'accepted', 'answered', 'deleted')" %}
{% if is_incremental() %}
    lifecycle as materialized (
        {{ new_and_touched_again(ref('stg_question_events'), ['question_id'],
                                 where='event_type in ' ~ kinds) }}
    ),
{% else %}
    lifecycle as (
        select * from {{ ref('stg_question_events') }}
        where event_type in {{ kinds }}
    ),
{% endif %}

events as (
    select
        *,
        max(ingested_at) over (partition by question_id) as last_ingested_at
    from lifecycle
),

submissions as (
    select
        question_id,
        arg_min(
            struct_pack(
                portal_id := portal_id,
                submitted_at := occurred_at,
                submitted_on := occurred_on
            ),
            row(occurred_at, event_id)
        ) as submission
    from events
    where event_type = 'submitted'
    group by question_id
),

statuses as (
    select
        events.question_id,
        events.event_id,
        case events.event_type
            when 'submitted' then 'waiting_acceptance'
            when 'accepted' then 'waiting_answer'
            else events.event_type
        end as status,
        events.occurred_at_local as status_from_local,
        lead(events.occurred_at_local) over (
            partition by events.question_id order by events.occurred_at, events.event_id
        ) as status_to_local,
        events.responder_authorized,
        events.deletion_reason,
        events.last_ingested_at
    from events
)

select
    statuses.question_id,
    submissions.submission.portal_id,
    submissions.submission.submitted_at,
    submissions.submission.submitted_on,
    statuses.event_id,
    statuses.status,
    statuses.status_from_local,
    statuses.status_to_local,
    statuses.responder_authorized,
    statuses.deletion_reason,
    statuses.last_ingested_at
from statuses
-- a question event with no submission is reported by data_quality_findings, not counted
inner join submissions on statuses.question_id = submissions.question_id
