{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Every figure the report's text quotes (seed `summary_metrics`), for the period and the same
-- period last year ("cùng kỳ"), with the change and the % change. Each figure is counted on the
-- units in force at the period's end (EVENTS.md 1.1, lineage): a merged unit's last year is the
-- sum of its predecessors', a split's part takes its share, a unit retired in the period counts
-- with its successors' group; `value_same_period_last_year_as_reported` keeps last year's
-- figure on the units as they were. A restated count is rounded to a whole number. Last year's
-- value is null when the stream's events do not reach back to that window, not a false zero.
{% set sums = summary_sums() %}
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

windows as (
    select * from {{ ref('int_run_windows') }}
),

figures as (
    select figures.*
    from {{ ref('int_portal_figures') }} as figures
    inner join windows on figures.period_window = windows.period_window
),

mapping as (
    select * from {{ ref('int_lineage_mapping') }}
),

target_groups as (
    select
        portal_id,
        target_reporting_group as reporting_group,
        sum(share) as share,
        bool_and(share is not null) as is_restated
    from mapping
    group by portal_id, target_reporting_group
),

group_shares as (
    -- a split without shares moves whole when all its parts report in one group; across
    -- groups it cannot be divided, and stays in its own group (below)
    select
        portal_id,
        reporting_group,
        case
            when bool_and(is_restated) over (partition by portal_id) then share
            when count(*) over (partition by portal_id) = 1 then 1.0
        end as share
    from target_groups
),

divisible_shares as (
    select * from group_shares
    where share is not null
),

carried as (
    select
        figures.*,
        coalesce(shares.reporting_group, figures.reporting_group) as target_group,
        coalesce(shares.share, 1.0) as share
    from figures
    left join divisible_shares as shares on figures.portal_id = shares.portal_id
),

sums_by_group as (
    select
        {% for column in sums %}
            sum({{ column }})::double as {{ column }},
        {% endfor %}
        period_window,
        'as_reported' as reading,
        reporting_group as portal_group
    from figures
    group by period_window, reporting_group
    union all
    select
        {% for column in sums %}
            sum({{ column }} * share) as {{ column }},
        {% endfor %}
        period_window,
        'restated' as reading,
        target_group as portal_group
    from carried
    group by period_window, target_group
),

flags as (
    -- a unit of today counts when it, or a unit whose history it continues, held the flag
    select
        figures.period_window,
        'restated' as reading,
        mapping.target_portal_id as portal_id,
        any_value(mapping.target_portal_group) as portal_group,
        any_value(mapping.target_reporting_group) as reporting_group,
        bool_or(figures.is_in_force) as is_in_force,
        -- a unit of today that continues older ones is not new, even under a new id
        bool_or(figures.is_new) and not bool_or(figures.was_established) as is_new,
        bool_or(figures.is_active) as is_active,
        bool_or(figures.provides_english) as provides_english
    from figures
    inner join mapping on figures.portal_id = mapping.portal_id
    group by figures.period_window, mapping.target_portal_id
    union all
    select
        period_window,
        'as_reported' as reading,
        portal_id,
        portal_group,
        reporting_group,
        is_in_force,
        is_new,
        is_active,
        provides_english
    from figures
),

counts_by_group as (
    select
        period_window,
        reading,
        reporting_group as portal_group,
        count(*) filter (where is_in_force) as portals_total,
        count(*) filter (where is_new) as portals_new,
        count(*) filter (where is_active) as portals_active,
        count(*) filter (where provides_english) as portals_english
    from flags
    group by all
),

units_by_group as (
    -- the registry's own groups: wards and special zones apart from the communes
    select
        period_window,
        reading,
        portal_group,
        count(*) filter (where is_in_force) as units
    from flags
    group by all
),

by_group as (
    select
        coalesce(sums.period_window, counts.period_window) as period_window,
        coalesce(sums.reading, counts.reading) as reading,
        coalesce(sums.portal_group, counts.portal_group) as portal_group,
        {% for column in sums %}
            coalesce(sums.{{ column }}, 0) as {{ column }},
        {% endfor %}
        coalesce(counts.portals_total, 0) as portals_total,
        coalesce(counts.portals_new, 0) as portals_new,
        coalesce(counts.portals_active, 0) as portals_active,
        coalesce(counts.portals_english, 0) as portals_english
    from sums_by_group as sums
    full outer join counts_by_group as counts
        on
            sums.period_window = counts.period_window
            and sums.reading = counts.reading
            and sums.portal_group = counts.portal_group
),

grouped as (
    select * from by_group
    union all
    select
        period_window,
        reading,
        'all_components' as portal_group,
        sum(columns(* exclude (period_window, reading, portal_group)))
    from by_group
    where portal_group != 'province'
    group by period_window, reading
    union all
    select
        period_window,
        reading,
        'all' as portal_group,
        sum(columns(* exclude (period_window, reading, portal_group)))
    from by_group
    group by period_window, reading
),

commune_units as (
    -- the province's commune-level units at each window's end (reference data)
    select
        windows.period_window,
        arg_max(reference.commune_units, reference.effective_from) as commune_units
    from windows
    inner join {{ ref('commune_units') }} as reference
        on windows.window_end >= reference.effective_from
    group by windows.period_window
),

with_rates as (
    select
        grouped.* exclude (questions_rating_sum),
        grouped.questions_answered / nullif(grouped.questions_eligible, 0)
            as questions_answered_share,
        -- "xoá 57 câu hỏi, chiếm 15% tổng số câu hỏi người dân gửi đến": deleted / total
        grouped.questions_deleted / nullif(grouped.questions_total, 0)
            as questions_deleted_share,
        grouped.questions_rating_sum / nullif(grouped.questions_rated, 0)
            as questions_rating_mean,
        grouped.dossiers_resolved / nullif(grouped.dossiers_total, 0)
            as dossiers_resolution_rate,
        grouped.dossiers_resolved_on_time / nullif(grouped.dossiers_resolved, 0)
            as dossiers_on_time_rate
    from grouped
),

metric_values as (
    unpivot (select * from with_rates)
    on columns(* exclude (period_window, reading, portal_group))
    into name metric value value
    union all
    unpivot (
        select
            period_window,
            reading,
            portal_group,
            units
        from units_by_group
        union all
        select
            period_window,
            reading,
            'all_components' as portal_group,
            sum(units) as units
        from units_by_group
        where portal_group != 'province'
        group by period_window, reading
    )
    on units
    into name metric value value
    union all
    -- coverage is a state of the province's map, not a sum of units: it is never restated
    select
        coverage.period_window,
        readings.reading,
        'commune' as portal_group,
        unnest(['commune_units', 'commune_coverage']) as metric,
        unnest([
            commune_units.commune_units::double,
            coverage.portals_total / nullif(commune_units.commune_units, 0)
        ]) as value
    from with_rates as coverage
    inner join commune_units on coverage.period_window = commune_units.period_window
    cross join (values ('as_reported'), ('restated')) as readings (reading)
    where coverage.reading = 'as_reported' and coverage.portal_group = 'commune'
    union all
    -- v1.1: the provincial portal's channels (channel_metrics), `channel_<channel>_<metric>`;
    -- a channel is the province's own, so never restated
    select
        windows.period_window,
        readings.reading,
        'province' as portal_group,
        'channel_' || channels.channel || '_' || channels.metric as metric,
        sum(
            case
                when windows.period_window = 'period' then channels.value
                else channels.value_same_period_last_year
            end
        ) as value
    from {{ ref('channel_metrics') }} as channels
    inner join run_period on channels.period_id = run_period.period_id
    inner join {{ ref('int_portal_at_period_end') }} as portals
        on channels.portal_id = portals.portal_id
    cross join windows
    cross join (values ('as_reported'), ('restated')) as readings (reading)
    where portals.portal_group = 'province'
    group by all
),

stream_starts as (
    -- where each stream's history begins (the registry's is complete)
    select
        'post' as stream,
        min(published_on) as first_on
    from {{ ref('int_post_publications') }}
    union all
    select
        'question' as stream,
        min(submitted_on) as first_on
    from {{ ref('int_question_status') }}
    union all
    select
        'dossier' as stream,
        min(received_on) as first_on
    from {{ ref('int_dossier_lifecycle') }}
    union all
    select
        'portal' as stream,
        date '1900-01-01' as first_on
    union all
    select
        'channel' as stream,
        min(coalesce(window_start, window_end)) as first_on
    from {{ ref('int_channel_measurements') }}
),

values_per_window as (
    select
        metrics.display_order,
        metrics.metric,
        metrics.portal_group,
        metrics.label_vi,
        metrics.unit,
        windows.period_window,
        windows.window_start,
        windows.window_end,
        readings.reading,
        case
            -- last year before the stream's events begin has no value, rather than a zero
            when
                windows.period_window = 'same_period_last_year'
                and date_trunc('month', stream_starts.first_on) > windows.window_start
                then null
            -- a channel metric not measured in the window (channel_metrics says null) has no
            -- value: a channel's count is a measurement, never a count of events that is 0
            when metrics.stream = 'channel' and metric_values.value is null then null
            when metrics.unit = 'count' then round(coalesce(metric_values.value::double, 0))
            else metric_values.value::double
        end as value
    from {{ ref('summary_metrics') }} as metrics
    cross join windows
    cross join (values ('as_reported'), ('restated')) as readings (reading)
    inner join stream_starts on metrics.stream = stream_starts.stream
    left join metric_values
        on
            metrics.metric = metric_values.metric
            and metrics.portal_group = metric_values.portal_group
            and windows.period_window = metric_values.period_window
            and readings.reading = metric_values.reading
),

compared as (
    select
        this_period.display_order,
        this_period.metric,
        this_period.portal_group,
        this_period.label_vi,
        this_period.unit,
        this_period.value,
        last_year.value as value_same_period_last_year,
        last_year_as_reported.value as value_same_period_last_year_as_reported,
        last_year.window_start as same_period_start,
        last_year.window_end as same_period_end
    from values_per_window as this_period
    inner join values_per_window as last_year
        on
            this_period.metric = last_year.metric
            and this_period.portal_group = last_year.portal_group
            and last_year.period_window = 'same_period_last_year'
            and last_year.reading = 'restated'
    inner join values_per_window as last_year_as_reported
        on
            this_period.metric = last_year_as_reported.metric
            and this_period.portal_group = last_year_as_reported.portal_group
            and last_year_as_reported.period_window = 'same_period_last_year'
            and last_year_as_reported.reading = 'as_reported'
    where this_period.period_window = 'period' and this_period.reading = 'restated'
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    compared.display_order,
    compared.metric,
    compared.portal_group,
    compared.label_vi,
    compared.unit,
    compared.value,
    compared.value_same_period_last_year,
    compared.value - compared.value_same_period_last_year as change,
    (compared.value - compared.value_same_period_last_year)
    / nullif(compared.value_same_period_last_year, 0) as change_pct,
    compared.value_same_period_last_year_as_reported,
    compared.value - compared.value_same_period_last_year_as_reported as change_as_reported,
    (compared.value - compared.value_same_period_last_year_as_reported)
    / nullif(compared.value_same_period_last_year_as_reported, 0) as change_pct_as_reported,
    (
        compared.value_same_period_last_year
        is distinct from compared.value_same_period_last_year_as_reported
    ) as is_restated,
    compared.same_period_start,
    compared.same_period_end
from compared
cross join run_period
