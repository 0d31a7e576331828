{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Appendix 01 ("Phụ biểu 01"): information provision per scored portal (RUBRIC.md §1). The
-- score is the bloc's scale, less a deduction for each mandatory category left empty or sparse
-- in the period, plus the board's latest assessments, clamped; the note says every point why.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

rubric as (
    select * from {{ ref('int_rubric_in_force') }}
),

portals as (
    select *
    from {{ ref('int_portal_at_period_end') }}
    where is_in_force and scored
),

mandatory as (
    -- a bloc's list is replaced as a whole: its latest version in force at the period's end
    select
        mandatory.bloc,
        mandatory.category
    from {{ ref('rubric_mandatory_categories') }} as mandatory
    cross join run_period
    where mandatory.effective_from <= run_period.period_end
    qualify mandatory.effective_from = max(mandatory.effective_from) over (
            partition by mandatory.bloc
        )
),

posts as (
    select
        posts.portal_id,
        posts.category,
        count(*) as items
    from {{ ref('int_post_publications') }} as posts
    cross join run_period
    where posts.published_on between run_period.period_start and run_period.period_end
    group by posts.portal_id, posts.category
),

assessments as (
    select verdicts.*
    from {{ ref('int_assessment_verdicts') }} as verdicts
    inner join run_period on verdicts.period_id = run_period.period_id
),

category_checks as (
    select
        portals.portal_id,
        categories.label_vi,
        coalesce(posts.items, 0) as items,
        -- a portal opened during the period is asked only for the months it was open
        rubric.information_min_items_per_month * (
            datediff(
                'month',
                greatest(run_period.period_start, portals.registered_on),
                run_period.period_end
            ) + 1
        ) as items_needed,
        rubric.information_missing_deduction,
        rubric.information_sparse_deduction
    from portals
    inner join mandatory on portals.bloc = mandatory.bloc
    inner join rubric on portals.bloc = rubric.bloc
    inner join {{ ref('post_categories') }} as categories
        on mandatory.category = categories.category
    left join posts
        on portals.portal_id = posts.portal_id and mandatory.category = posts.category
    cross join run_period
    -- the board's own verdict on a mandatory category replaces the automatic one
    where not exists (
            select 1 from assessments
            where
                assessments.portal_id = portals.portal_id
                and assessments.criterion = mandatory.category
        )
),

deductions as (
    select
        portal_id,
        label_vi,
        case
            when items = 0 then information_missing_deduction
            when items < items_needed then information_sparse_deduction
            else 0
        end as points_taken,
        case
            when items = 0
                then
                    'Chưa cập nhật ' || label_vi
                    || ' (trừ ' || {{ vi_points('information_missing_deduction') }} || ' điểm)'
            when items < items_needed then
                'Cập nhật ' || label_vi || ' còn ít, chưa thường xuyên: ' || items || '/'
                || {{ vi_points('items_needed') }} || ' tin, bài, CSDL trong kỳ (trừ '
                || {{ vi_points('information_sparse_deduction') }} || ' điểm)'
        end as note
    from category_checks
),

deductions_per_portal as (
    select
        portal_id,
        sum(points_taken) as deductions,
        string_agg(note, '; ' order by points_taken desc, label_vi collate vi asc) as notes
    from deductions
    where points_taken > 0
    group by portal_id
),

assessments_per_portal as (
    select
        portal_id,
        sum(points) as assessment_points,
        bool_or(points < 0) as has_assessed_deduction,
        string_agg(note, '; ' order by points, criterion) filter (where points < 0) as taken,
        string_agg(note, '; ' order by criterion) filter (where points = 0) as remarks,
        string_agg(note, '; ' order by points desc, criterion asc) filter (where points > 0)
            as added
    from assessments
    where coalesce(note, '') != '' or points != 0
    group by portal_id
),

posts_per_portal as (
    select
        portal_id,
        sum(items) as posts
    from posts
    group by portal_id
),

scored as (
    select
        portals.portal_id,
        portals.name as portal_name,
        portals.portal_group,
        portals.bloc,
        case portals.bloc when 'government' then 'I' else 'II' end as section,
        rubric.information_scale as scale,
        rubric.information_bonus_max as bonus_max,
        rubric.information_ceiling as score_ceiling,
        coalesce(posts_per_portal.posts, 0) as posts,
        coalesce(deductions_per_portal.deductions, 0) as deductions,
        coalesce(assessments_per_portal.assessment_points, 0) as assessment_points,
        rubric.information_scale
        - coalesce(deductions_per_portal.deductions, 0)
        + coalesce(assessments_per_portal.assessment_points, 0) as unclamped_score,
        deductions_per_portal.notes as deduction_notes,
        assessments_per_portal.taken,
        assessments_per_portal.remarks,
        assessments_per_portal.added,
        deductions_per_portal.portal_id is null
        and not coalesce(assessments_per_portal.has_assessed_deduction, false) as kept_up
    from portals
    inner join rubric on portals.bloc = rubric.bloc
    left join posts_per_portal on portals.portal_id = posts_per_portal.portal_id
    left join deductions_per_portal on portals.portal_id = deductions_per_portal.portal_id
    left join assessments_per_portal on portals.portal_id = assessments_per_portal.portal_id
),

clamped as (
    select
        *,
        least(greatest(unclamped_score, 0), score_ceiling) as score
    from scored
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    row_number() over (
        order by
            clamped.section asc,
            clamped.score desc,
            clamped.portal_name collate vi asc,
            clamped.portal_id asc
    )::integer as display_order,
    clamped.section,
    clamped.portal_id,
    clamped.portal_name,
    clamped.portal_group,
    clamped.bloc,
    clamped.scale,
    clamped.bonus_max,
    clamped.score_ceiling,
    clamped.posts,
    clamped.deductions,
    clamped.assessment_points,
    clamped.score,
    dense_rank() over (
        partition by clamped.bloc order by clamped.score desc
    )::integer as rank_in_bloc,
    concat_ws(
        '; ',
        case
            when clamped.kept_up then
                'Duy trì cập nhật đầy đủ các mục thông tin, CSDL theo quy định (đạt '
                || {{ vi_points('clamped.scale') }} || ' điểm)'
        end,
        clamped.deduction_notes,
        clamped.taken,
        clamped.remarks,
        clamped.added,
        case
            when clamped.unclamped_score != clamped.score then
                'điểm được giới hạn trong khoảng 0 - '
                || {{ vi_points('clamped.score_ceiling') }} || ' điểm'
        end
    ) || '.' as note
from clamped
cross join run_period
