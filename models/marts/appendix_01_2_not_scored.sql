{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Appendix 01.2 ("Phụ biểu 01.2"): the component portals not scored ("KCĐ"), each with its
-- activity in the period against the period just before, restated on today's units (a merged
-- unit's previous period is its predecessors' sum, said in the note). The provincial portal and
-- the commune level (which their districts scored) are not part of it.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

portals as (
    -- a unit retired during the period keeps its row while it was active in it
    select
        portals.*,
        activity.posts,
        activity.posts_previous_period,
        activity.posts_previous_period_as_reported,
        -- the comparison here is with the period just before, not with last year
        replace(activity.lineage_note, 'cùng kỳ là', 'kỳ trước là') as lineage_note,
        activity.predecessor_portal_ids is not null as continues_others
    from {{ ref('int_portal_at_period_end') }} as portals
    inner join {{ ref('portal_activity') }} as activity
        on portals.portal_id = activity.portal_id
    inner join run_period on activity.period_id = run_period.period_id
    where not portals.scored and portals.reporting_group not in ('province', 'commune')
),

remarks as (
    select
        verdicts.portal_id,
        string_agg(verdicts.note, '; ' order by verdicts.criterion) as notes
    from {{ ref('int_assessment_verdicts') }} as verdicts
    inner join run_period on verdicts.period_id = run_period.period_id
    where verdicts.note != ''
    group by verdicts.portal_id
),

activity as (
    select
        portals.portal_id,
        portals.name as portal_name,
        portals.portal_group,
        portals.registered_on,
        -- a unit that continues others' portals is compared with theirs, not announced as new
        not portals.continues_others
        and portals.registered_on > run_period.previous_period_start as is_new,
        not portals.continues_others
        and portals.registered_on >= run_period.period_start as opened_in_period,
        portals.posts,
        -- restated on today's units; a split without shares has none to compare with
        portals.posts_previous_period,
        portals.posts_previous_period_as_reported,
        portals.lineage_note,
        remarks.notes as remarks
    from portals
    cross join run_period
    left join remarks on portals.portal_id = remarks.portal_id
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    row_number() over (order by activity.portal_name collate vi, activity.portal_id)::integer
        as display_order,
    activity.portal_id,
    activity.portal_name,
    activity.portal_group,
    activity.registered_on,
    activity.posts,
    activity.posts_previous_period,
    activity.posts_previous_period_as_reported,
    run_period.previous_period_start,
    run_period.previous_period_end,
    concat_ws(
        ' ',
        case
            when activity.is_new then
                'Cổng mới đưa vào hoạt động từ '
                || strftime(activity.registered_on, '%d/%m/%Y') || '.'
        end,
        case
            when activity.posts_previous_period is null
                then
                    'Trong kỳ đăng tải ' || {{ vi_integer('activity.posts') }}
                    || ' tin, bài, CSDL.'
            when activity.posts = 0 and activity.posts_previous_period = 0
                then
                    'Chưa duy trì hoạt động của Cổng: không đăng tải tin, bài, CSDL nào trong kỳ'
                    || ' và kỳ trước.'
            when activity.posts = 0
                then
                    'Trong kỳ chưa đăng tải tin, bài, CSDL nào (kỳ trước: '
                    || {{ vi_integer('activity.posts_previous_period') }} || ').'
            when activity.opened_in_period
                then
                    'Trong kỳ đã đăng tải '
                    || {{ vi_integer('activity.posts') }}
                    || ' tin, bài, CSDL.'
            else
                'Trong kỳ đăng tải ' || {{ vi_integer('activity.posts') }} || ' tin, bài, CSDL, '
                || case
                    when activity.posts > activity.posts_previous_period
                        then 'tăng '
                            || {{ vi_integer('activity.posts - activity.posts_previous_period') }}
                    when activity.posts < activity.posts_previous_period
                        then 'giảm '
                            || {{ vi_integer('activity.posts_previous_period - activity.posts') }}
                    else 'bằng'
                end
                || ' so với kỳ trước (' || {{ vi_integer('activity.posts_previous_period') }}
                || ').'
        end,
        case when activity.lineage_note is not null then activity.lineage_note || '.' end,
        case when activity.remarks is not null then activity.remarks || '.' end
    ) as note
from activity
cross join run_period
