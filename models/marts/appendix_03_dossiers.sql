{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Appendix 03 ("Phụ biểu 03"): online public-service dossiers per agency. Listed: every agency
-- with dossiers in the period, and every current agency that had some the year before or that
-- the rubric lists; an agency with nothing in the period gets a row of zeros. Scored by the tiers
-- of RUBRIC.md §3 in force at the period's end, with why in Vietnamese in `note`.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

period_facts as (
    select facts.*
    from {{ ref('fct_dossiers_period') }} as facts
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
    {{ listed_agencies('03') }}
),

agency_rows as (
    select
        agencies.portal_id,
        coalesce(portals.name, agencies.portal_id) as portal_name,
        portals.portal_group,
        portals.bloc,
        coalesce(facts.total, 0) as total,
        coalesce(facts.carried_over, 0) as carried_over,
        coalesce(facts.received_counter, 0) as received_counter,
        coalesce(facts.received_online, 0) as received_online,
        {% for cell, _, _ in resolved_cells() %}
            coalesce(facts.{{ cell }}, 0) as {{ cell }},
        {% endfor %}
        coalesce(facts.resolved, 0) as resolved,
        coalesce(facts.withdrawn, 0) as withdrawn,
        coalesce(facts.in_progress, 0) as in_progress
    from agencies
    left join facts on agencies.portal_id = facts.portal_id
    left join portals on agencies.portal_id = portals.portal_id
),

rated as (
    select
        *,
        resolved / nullif(total, 0) as resolution_rate,
        (
            {% for cell, _, _ in resolved_cells(['early', 'on_time']) %}
                {{ cell }}{{ ' +' if not loop.last }}
            {% endfor %}
        ) / nullif(resolved, 0) as on_time_rate
    from agency_rows
),

tiers as (
    select * from {{ ref('int_dossier_tiers_in_force') }}
),

tiered as (
    select
        rated.*,
        arg_max(
            struct_pack(score := tiers.score, label_vi := tiers.label_vi),
            tiers.min_on_time_rate
        ) as tier
    from rated
    left join tiers on rated.on_time_rate >= tiers.min_on_time_rate
    group by all
),

scored as (
    select
        tiered.* exclude (tier),  -- noqa: RF02
        case when tiered.tier is null then 'none' else 'tier' end as score_rule,
        coalesce(tiered.tier.score, rubric.dossier_score_none) as score,
        (select max(tiers.score) from tiers) as score_max,
        -- the thresholds scored against, for readers and charts: highest first
        (
            select list(tiers.min_on_time_rate order by tiers.min_on_time_rate desc)
            from tiers
            where tiers.min_on_time_rate > 0
        ) as on_time_tiers,
        case
            when tiered.total = 0
                then
                    'Không nhận được hồ sơ, TTHC nào trong kỳ, tương đương mức '
                    || {{ vi_points('rubric.dossier_score_none') }} || ' điểm'
            when tiered.resolved = 0
                then
                    'Chưa có hồ sơ được giải quyết trong kỳ ('
                    || {{ vi_integer('tiered.total') }}
                    || ' hồ sơ đang giải quyết), tương đương mức '
                    || {{ vi_points('rubric.dossier_score_none') }} || ' điểm'
            else
                'Tỷ lệ giải quyết đúng và trước hạn ' || {{ vi_percent('tiered.on_time_rate') }}
                || ', đạt mức ' || tiered.tier.label_vi
        end as note
    from tiered
    inner join {{ ref('int_rubric_in_force') }} as rubric
        on coalesce(tiered.bloc, 'government') = rubric.bloc
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    row_number() over (
        order by
            scored.score desc,
            scored.on_time_rate desc nulls last,
            scored.total desc,
            scored.portal_name collate vi asc,
            scored.portal_id asc
    )::integer as display_order,
    -- a reorganised agency says where its comparison figures come from
    scored.* replace (concat_ws('. ', scored.note, activity.lineage_note) as note)
from scored
cross join run_period
left join {{ ref('portal_activity') }} as activity
    on run_period.period_id = activity.period_id and scored.portal_id = activity.portal_id
