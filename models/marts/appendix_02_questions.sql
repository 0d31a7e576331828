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
-- lists; an agency with nothing in the period gets a row of zeros. Scored per RUBRIC.md §2, with
-- the rule that gave the score in `score_rule` and, in `note`, why in Vietnamese. The citizens'
-- side follows the seed's columns: the questions rated by their askers and the mean rating
-- (fct_questions_period: the latest rating by the period's end of a question submitted in it).
-- Names tie in Vietnamese order (ICU collation `vi`): "Cục Thống kê" before "Cục Thuế".
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

period_facts as (
    select facts.*
    from {{ ref('fct_questions_period') }} as facts
    inner join run_period on facts.period_id = run_period.period_id
),

facts as (
    select * from period_facts
    where period_window = 'period'
),

portals as (
    select * from {{ ref('int_portal_at_period_end') }}
),

agencies as (
    {{ listed_agencies('02') }}
),

agency_rows as (
    select
        agencies.portal_id,
        coalesce(portals.name, agencies.portal_id) as portal_name,
        portals.portal_group,
        coalesce(portals.bloc, 'government') as bloc,
        coalesce(facts.total, 0) as total,
        coalesce(facts.answered, 0) as answered,
        coalesce(facts.waiting_answer, 0) as waiting_answer,
        coalesce(facts.waiting_acceptance, 0) as waiting_acceptance,
        coalesce(facts.deleted, 0) as deleted,
        coalesce(facts.eligible, 0) as eligible,
        coalesce(facts.answered_unauthorized, 0) as answered_unauthorized,
        coalesce(facts.late, 0) as late,
        coalesce(facts.rated, 0) as questions_rated,
        coalesce(facts.rating_sum, 0) as rating_sum
    from agencies
    left join facts on agencies.portal_id = facts.portal_id
    left join portals on agencies.portal_id = portals.portal_id
),

judged as (
    select
        agency_rows.*,
        rubric.qa_max as score_max,
        rubric.qa_volume_min_per_month,
        case
            when agency_rows.eligible = 0 then 'none'
            when agency_rows.late = agency_rows.eligible then 'all_late'
            when agency_rows.late > 0 or agency_rows.answered_unauthorized > 0 then 'some_late'
            when
                agency_rows.eligible
                > rubric.qa_volume_min_per_month
                * (datediff('month', run_period.period_start, run_period.period_end) + 1)
                then 'on_time_volume'
            else 'on_time'
        end as score_rule,
        rubric.qa_score_none,
        rubric.qa_score_all_late,
        rubric.qa_score_base,
        rubric.qa_on_time_bonus,
        rubric.qa_volume_bonus
    from agency_rows
    cross join run_period
    inner join {{ ref('int_rubric_in_force') }} as rubric on agency_rows.bloc = rubric.bloc
),

scored as (
    select
        * exclude (
            qa_volume_min_per_month, qa_score_none, qa_score_all_late, qa_score_base,
            qa_on_time_bonus, qa_volume_bonus
        ),
        case score_rule
            when 'none' then qa_score_none
            when 'all_late' then qa_score_all_late
            when 'some_late' then qa_score_base
            when 'on_time' then qa_score_base + qa_on_time_bonus
            else qa_score_base + qa_on_time_bonus + qa_volume_bonus
        end as score,
        concat_ws(
            '; ',
            case score_rule
                when 'none'
                    then
                        case
                            when total = 0
                                then 'Không nhận được câu hỏi nào của công dân gửi đến trong kỳ'
                            else 'Không có câu hỏi đủ điều kiện trả lời (các câu hỏi đều bị xoá)'
                        end
                        || ', tương đương mức ' || {{ vi_points('qa_score_none') }} || ' điểm'
                when 'all_late'
                    then
                        {{ vi_count('late') }} || '/' || eligible
                        || ' câu hỏi tiếp nhận, trả lời chậm hoặc quá hạn chưa tiếp nhận, trả lời'
                        || ' so với quy định (' || {{ vi_points('qa_score_all_late') }} || ' điểm)'
                when 'some_late'
                    then
                        concat_ws(
                            '; ',
                            case
                                when late > 0 then
                                    'Có ' || {{ vi_count('late') }} || '/' || eligible
                                    || ' câu hỏi tiếp nhận, trả lời chậm so với quy định'
                            end,
                            case
                                when answered_unauthorized > 0 then
                                    'Có ' || {{ vi_count('answered_unauthorized') }}
                                    || ' câu hỏi trả lời không đúng thành phần theo quy định'
                            end
                        )
                        || ' (đạt ' || {{ vi_points('qa_score_base') }} || ' điểm)'
                else
                    'Tiếp nhận, trả lời câu hỏi đúng thời gian, người trả lời đúng thành phần'
                    || ' theo quy định (' || {{ vi_points('qa_score_base') }} || ' điểm, cộng '
                    || {{ vi_points('qa_on_time_bonus') }} || ' điểm thưởng)'
                    || case
                        when score_rule = 'on_time_volume'
                            then
                                '; tiếp nhận và trả lời trên '
                                || {{ vi_points('qa_volume_min_per_month') }}
                                || ' câu hỏi/tháng (cộng thêm '
                                || {{ vi_points('qa_volume_bonus') }}
                                || ' điểm, đạt điểm tối đa '
                                || {{ vi_points('score_max') }}
                                || ' điểm)'
                        else ''
                    end
            end,
            case
                when deleted > 0 and eligible > 0
                    then 'xoá ' || {{ vi_count('deleted') }} || ' câu hỏi (không tính điểm)'
            end
        ) as note
    from judged
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    row_number() over (
        order by
            scored.score desc,
            scored.total desc,
            scored.portal_name collate vi asc,
            scored.portal_id asc
    )::integer as display_order,
    -- a reorganised agency says where its comparison figures come from
    scored.* exclude (questions_rated, rating_sum) replace (  -- noqa: RF02
        concat_ws('. ', scored.note, activity.lineage_note) as note
    ),
    -- added after the seed's columns
    scored.questions_rated,
    scored.rating_sum / nullif(scored.questions_rated, 0) as rating_mean,
    -- so that a total (the printed total row, a bloc in BI) weighs each rating once
    scored.rating_sum
from scored
cross join run_period
left join {{ ref('portal_activity') }} as activity
    on run_period.period_id = activity.period_id and scored.portal_id = activity.portal_id
