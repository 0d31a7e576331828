{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Appendix 01.2 ("Phụ biểu 01.2"): the component portals not scored ("KCĐ"), each with its
-- activity in the period against the period just before. The provincial portal and the communes
-- (which their districts score) are not part of it.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

portals as (
    select *
    from {{ ref('int_portal_at_period_end') }}
    where is_in_force and not scored and portal_group not in ('province', 'commune')
),

post_counts as (
    select
        posts.portal_id,
        count(*) filter (
            where posts.published_on between run_period.period_start and run_period.period_end
        ) as posts,
        count(*) filter (
            where posts.published_on
            between run_period.previous_period_start and run_period.previous_period_end
        ) as posts_previous_period
    from {{ ref('int_post_publications') }} as posts
    cross join run_period
    where posts.published_on between run_period.previous_period_start and run_period.period_end
    group by posts.portal_id
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
        portals.registered_on > run_period.previous_period_start as is_new,
        portals.registered_on >= run_period.period_start as opened_in_period,
        coalesce(post_counts.posts, 0) as posts,
        coalesce(post_counts.posts_previous_period, 0) as posts_previous_period,
        remarks.notes as remarks
    from portals
    cross join run_period
    left join post_counts on portals.portal_id = post_counts.portal_id
    left join remarks on portals.portal_id = remarks.portal_id
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    row_number() over (order by activity.portal_name, activity.portal_id)::integer
        as display_order,
    activity.portal_id,
    activity.portal_name,
    activity.portal_group,
    activity.registered_on,
    activity.posts,
    activity.posts_previous_period,
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
        case when activity.remarks is not null then activity.remarks || '.' end
    ) as note
from activity
cross join run_period
