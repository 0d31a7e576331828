{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- A bloc's information-provision scores for the period (RUBRIC.md §4), in the bands the report's
-- text quotes: at the maximum, from the scale up, below the scale ("07/16 Cổng TTĐT thành phần
-- ... đạt điểm tối đa 95 điểm").
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

bands as (
    select
        appendix.bloc,
        any_value(appendix.scale) as scale,
        any_value(appendix.score_ceiling) as score_ceiling,
        count(*) as portals,
        avg(appendix.score) as mean_score,
        min(appendix.score) as min_score,
        max(appendix.score) as max_score,
        coalesce(stddev_pop(appendix.score), 0) as stddev_score,
        count(*) filter (where appendix.score = appendix.score_ceiling) as portals_at_max,
        count(*) filter (
            where appendix.score >= appendix.scale and appendix.score < appendix.score_ceiling
        ) as portals_at_scale,
        count(*) filter (where appendix.score < appendix.scale) as portals_below_scale,
        min(appendix.score) filter (
            where appendix.score >= appendix.scale and appendix.score < appendix.score_ceiling
        ) as at_scale_low,
        max(appendix.score) filter (
            where appendix.score >= appendix.scale and appendix.score < appendix.score_ceiling
        ) as at_scale_high,
        coalesce(
            string_agg(appendix.portal_name, '; ' order by appendix.display_order) filter (
                where appendix.score = appendix.score_ceiling
            ),
            ''
        ) as portals_at_max_names,
        coalesce(
            string_agg(appendix.portal_name, '; ' order by appendix.display_order) filter (
                where appendix.score < appendix.scale
            ),
            ''
        ) as portals_below_scale_names
    from {{ ref('appendix_01_information') }} as appendix
    inner join run_period on appendix.period_id = run_period.period_id
    group by appendix.bloc
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    bands.* exclude (at_scale_low, at_scale_high),  -- noqa: RF02
    concat_ws(
        '; ',
        case
            when bands.portals_at_max > 0
                then
                    {{ vi_count('bands.portals_at_max') }} || '/' || {{ vi_count('bands.portals') }}
                    || ' Cổng TTĐT thành phần đạt điểm tối đa '
                    || {{ vi_points('bands.score_ceiling') }} || ' điểm'
            else 'Không có Cổng TTĐT thành phần nào đạt điểm tối đa '
                || {{ vi_points('bands.score_ceiling') }} || ' điểm'
        end,
        case
            when bands.portals_at_scale > 0 then
                {{ vi_count('bands.portals_at_scale') }} || '/' || {{ vi_count('bands.portals') }}
                || ' đạt '
                || case
                    when bands.at_scale_low = bands.at_scale_high
                        then {{ vi_points('bands.at_scale_low') }}
                    else 'từ ' || {{ vi_points('bands.at_scale_low') }} || ' - '
                        || {{ vi_points('bands.at_scale_high') }}
                end
                || ' điểm'
        end,
        case
            when bands.portals_below_scale > 0
                then
                    {{ vi_count('bands.portals_below_scale') }} || '/'
                    || {{ vi_count('bands.portals') }} || ' đạt dưới '
                    || {{ vi_points('bands.scale') }}
                    || ' điểm ('
                    || bands.portals_below_scale_names
                    || ')'
            else 'không có Cổng TTĐT thành phần nào dưới ' || {{ vi_points('bands.scale') }}
                || ' điểm'
        end
    ) as summary_note
from bands
cross join run_period
