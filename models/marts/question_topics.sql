{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- The fields citizens asked about in the period ("Nội dung các câu hỏi ... chủ yếu tập trung vào
-- các lĩnh vực y tế, sức khỏe, giáo dục, đất đai"), most asked first, with the same period last
-- year. A question counts in the window holding its submission, whatever its status at the
-- window's end (a deleted question was still sent). Its topic is the latest `topic` any of its
-- events carries by the window's end (the submission's, unless the section filed it again); a
-- question with no topic is not listed, so the topics add up to at most `total` of
-- fct_questions_period. Rank 1 is the most asked; ties go in Vietnamese order of the field's
-- name (seeds/topics.csv; a code without a name there is printed as delivered).
with

windows as (
    select * from {{ ref('int_run_windows') }}
),

submissions as (
    select distinct
        question_id,
        submitted_on
    from {{ ref('int_question_status') }}
),

questions as (
    select
        windows.period_window,
        submissions.question_id,
        arg_max(events.topic, row(events.occurred_at, events.event_id)) as topic
    from submissions
    inner join windows
        on submissions.submitted_on between windows.window_start and windows.window_end
    inner join {{ ref('stg_question_events') }} as events
        on
            submissions.question_id = events.question_id
            and events.topic is not null
            and windows.window_end >= events.occurred_on
    group by windows.period_window, submissions.question_id
),

counts as (
    select
        topic,
        count(*) filter (where period_window = 'period') as questions,
        count(*) filter (where period_window = 'same_period_last_year')
            as questions_same_period_last_year
    from questions
    group by topic
),

question_starts as (
    -- last year before the stream's events begin has no count, rather than a zero
    select min(submitted_on) as first_on
    from submissions
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    counts.topic,
    coalesce(topics.label_vi, counts.topic) as topic_label_vi,
    counts.questions,
    case
        when date_trunc('month', question_starts.first_on) <= run_period.previous_year_start
            then counts.questions_same_period_last_year
    end as questions_same_period_last_year,
    row_number() over (
        order by
            counts.questions desc,
            coalesce(topics.label_vi, counts.topic) collate vi asc,
            counts.topic asc
    )::integer as rank
from counts
left join {{ ref('topics') }} as topics on counts.topic = topics.topic
cross join {{ ref('int_run_period') }} as run_period
cross join question_starts
where counts.questions > 0
