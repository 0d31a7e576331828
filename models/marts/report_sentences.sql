{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- The sentences the report's text quotes of appendices 02 and 03, built from the appendices'
-- own rows, in score bands as the seed writes them: "Có 21/37 cơ quan, đơn vị thực hiện tiếp
-- nhận, trả lời câu hỏi đúng thời gian ... là 17 điểm"; "25/29 cơ quan, đơn vị ... đạt 27 điểm
-- (trong đó có 2 điểm thưởng)". Both appendices score every agency on one scale, so the bloc is
-- `all` (appendix 01's sentence per bloc is scorecard_bloc.summary_note). A band of a few agencies
-- names them in the appendix's order (three at most); the 0-point band of appendix 02 always
-- does. Where the seed's text and its tables disagree, these follow the tables (the marts).
{% set named_at_most = 3 %}
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

appendices (appendix, bloc, band_order) as (
    values ('02', 'all', 0), ('03', 'all', 0)
),

questions as (
    select
        appendix.*,
        rubric.qa_score_base,
        rubric.qa_score_none,
        rubric.qa_on_time_bonus,
        rubric.qa_volume_bonus,
        rubric.qa_volume_min_per_month,
        case
            when appendix.score_rule in ('on_time', 'on_time_volume') then 1
            when appendix.score_rule = 'all_late' then 3
            else 2
        end as band
    from {{ ref('appendix_02_questions') }} as appendix
    inner join run_period on appendix.period_id = run_period.period_id
    inner join {{ ref('int_rubric_in_force') }} as rubric on appendix.bloc = rubric.bloc
),

questions_listed as (
    select count(*) as agencies from questions
),

question_bands as (
    select
        questions.band,
        -- the middle band is counted per score, should the rubric give "none" other points
        case when questions.band = 2 then questions.score end as band_score,
        count(*) as agencies,
        max(questions.score) as score,
        max(questions.qa_score_base + questions.qa_on_time_bonus) as on_time_score,
        max(questions.qa_on_time_bonus) as on_time_bonus,
        max(questions.qa_volume_bonus) as volume_bonus,
        max(questions.qa_volume_min_per_month) as volume_min_per_month,
        max(questions.qa_score_none) as none_score,
        max(questions.score) filter (
            where questions.score_rule = 'on_time_volume'
        ) as volume_score,
        count(*) filter (where questions.score_rule = 'on_time_volume') as volume_agencies,
        string_agg(
            questions.portal_name || ' (' || {{ vi_integer('questions.total') }} || ' câu hỏi)',
            '; ' order by questions.display_order
        ) filter (where questions.score_rule = 'on_time_volume') as volume_names,
        count(*) filter (
            where questions.score_rule = 'none' and questions.total = 0
        ) as none_received,
        count(*) filter (
            where questions.score_rule = 'none' and questions.total > 0
        ) as none_eligible,
        string_agg(questions.portal_name, '; ' order by questions.display_order) as names,
        string_agg(
            questions.portal_name || ': ' || questions.late || '/' || questions.eligible
            || ' câu hỏi',
            '; ' order by questions.display_order
        ) as late_details,
        max(questions.late) as late,
        max(questions.eligible) as eligible
    from questions
    group by all
),

question_clauses as (
    select
        '02' as appendix,
        question_bands.band,
        question_bands.band_score,
        {{ vi_count('question_bands.agencies') }} || '/'
        || {{ vi_count('questions_listed.agencies') }} as share,
        case question_bands.band
            when 1
                then
                    'Có ' || share
                    || ' cơ quan, đơn vị thực hiện tiếp nhận, trả lời câu hỏi đúng thời gian,'
                    || ' người trả lời đúng thành phần theo quy định, đạt điểm tối đa và cộng'
                    || ' thêm ' || {{ vi_points('question_bands.on_time_bonus') }}
                    || ' điểm thưởng là ' || {{ vi_points('question_bands.on_time_score') }}
                    || ' điểm'
                    || case
                        when question_bands.volume_agencies > 0
                            then
                                '. Đặc biệt có '
                                || {{ vi_count('question_bands.volume_agencies') }}
                                || case
                                    when question_bands.volume_agencies = 1
                                        then ' đơn vị duy nhất'
                                    else ' cơ quan, đơn vị'
                                end
                                || ' tiếp nhận, trả lời trên '
                                || {{ vi_points('question_bands.volume_min_per_month') }}
                                || ' câu hỏi/tháng và thực hiện trả lời đúng quy định của'
                                || ' chuyên mục Hỏi - Đáp, được cộng thêm '
                                || {{ vi_points('question_bands.volume_bonus') }}
                                || ' điểm đạt điểm tối đa '
                                || {{ vi_points('question_bands.volume_score') }}
                                || ' điểm, đó là: ' || question_bands.volume_names
                        else ''
                    end
            when 2
                then
                    share || ' cơ quan, đơn vị đạt ' || {{ vi_points('question_bands.score') }}
                    || ' điểm'
                    || coalesce(
                        '. Trong đó, có '
                        || nullif(
                            concat_ws(
                                '; ',
                                case
                                    when question_bands.none_received > 0
                                        then
                                            {{ vi_count('question_bands.none_received') }}
                                            || ' cơ quan, đơn vị không nhận được câu hỏi nào'
                                            || ' của công dân gửi đến trong kỳ (đạt '
                                            || {{ vi_points('question_bands.none_score') }}
                                            || ' điểm, tương đương mức Tốt)'
                                end,
                                case
                                    when question_bands.none_eligible > 0
                                        then
                                            {{ vi_count('question_bands.none_eligible') }}
                                            || ' cơ quan, đơn vị không có câu hỏi đủ điều kiện'
                                            || ' trả lời (các câu hỏi đều bị xoá)'
                                end
                            ),
                            ''
                        ),
                        ''
                    )
            else
                case
                    when question_bands.agencies = 1
                        then
                            share || ' đơn vị là ' || question_bands.names || ' đánh giá '
                            || {{ vi_points('question_bands.score') }} || ' điểm, do có '
                            || question_bands.late || '/' || question_bands.eligible
                            || ' câu hỏi tiếp nhận, trả lời chậm so với quy định'
                    else
                        share || ' cơ quan, đơn vị đánh giá '
                        || {{ vi_points('question_bands.score') }}
                        || ' điểm, do mọi câu hỏi đủ điều kiện trả lời đều tiếp nhận, trả lời'
                        || ' chậm so với quy định (' || question_bands.late_details || ')'
                end
        end as clause
    from question_bands
    cross join questions_listed
),

tiers as (
    select * from {{ ref('int_dossier_tiers_in_force') }}
),

dossiers as (
    select
        appendix.*,
        rubric.dossier_score_none,
        tiers.label_vi as tier_label,
        case when appendix.score_rule = 'tier' then 1 else 2 end as band,
        appendix.score_rule = 'none' and appendix.total = 0 as is_empty
    from {{ ref('appendix_03_dossiers') }} as appendix
    inner join run_period on appendix.period_id = run_period.period_id
    inner join {{ ref('int_rubric_in_force') }} as rubric
        on coalesce(appendix.bloc, 'government') = rubric.bloc
    left join tiers on appendix.score_rule = 'tier' and appendix.score = tiers.score
),

dossiers_listed as (
    select count(*) as agencies from dossiers
),

dossier_bands as (
    select
        dossiers.band,
        dossiers.score as band_score,
        dossiers.is_empty,
        count(*) as agencies,
        any_value(dossiers.tier_label) as tier_label,
        max(dossiers.dossier_score_none) as none_score,
        string_agg(dossiers.portal_name, '; ' order by dossiers.display_order) as names
    from dossiers
    group by all
),

dossier_clauses as (
    select
        '03' as appendix,
        dossier_bands.band,
        dossier_bands.band_score,
        {{ vi_count('dossier_bands.agencies') }} || '/'
        || {{ vi_count('dossiers_listed.agencies') }} as share,
        case
            when dossier_bands.agencies > {{ named_at_most }} then ''
            when dossier_bands.agencies = 1 and dossier_bands.band = 1
                then ' là ' || dossier_bands.names
            else ' (gồm: ' || dossier_bands.names || ')'
        end as named,
        case
            when dossier_bands.band = 1
                then
                    share || ' cơ quan, đơn vị thực hiện tiếp nhận xử lý và giải quyết hồ sơ,'
                    || ' TTHC mức độ 2, mức độ 3, mức độ 4 với tỷ lệ giải quyết đúng và trước hạn'
                    || ' đạt '
                    || regexp_replace(coalesce(dossier_bands.tier_label, ''), '\s*\(.*\)\s*$', '')
                    || named || ', đạt ' || {{ vi_points('dossier_bands.band_score') }} || ' điểm'
                    || case
                        when dossier_bands.band_score > dossier_bands.none_score
                            then
                                ' (trong đó có '
                                || {{
                                    vi_points('dossier_bands.band_score - dossier_bands.none_score')
                                }}
                                || ' điểm thưởng)'
                        else ''
                    end
            when dossier_bands.is_empty
                then
                    share || ' cơ quan, đơn vị không nhận được hồ sơ, TTHC nào của công dân gửi'
                    || ' đến trong kỳ, tương đương với mức '
                    || {{ vi_points('dossier_bands.band_score') }} || ' điểm' || named
            else
                share || ' cơ quan, đơn vị chưa có hồ sơ, TTHC được giải quyết trong kỳ,'
                || ' tương đương với mức ' || {{ vi_points('dossier_bands.band_score') }}
                || ' điểm' || named
        end as clause
    from dossier_bands
    cross join dossiers_listed
),

clauses as (
    select
        appendix,
        band,
        band_score,
        clause
    from question_clauses
    union all
    select
        appendix,
        band,
        band_score,
        clause
    from dossier_clauses
),

sentences as (
    select
        appendix,
        string_agg(clause, '. ' order by band asc, band_score desc, clause asc) as sentence_vi
    from clauses
    group by appendix
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    appendices.appendix,
    appendices.bloc,
    coalesce(
        sentences.sentence_vi, 'Không có cơ quan, đơn vị nào được đánh giá trong kỳ'
    ) as sentence_vi
from appendices
cross join run_period
left join sentences on appendices.appendix = sentences.appendix
