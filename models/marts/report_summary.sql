{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Every figure the report's text quotes (seed `summary_metrics`), for the period and the same
-- period last year ("cùng kỳ"), with the change and the % change. Last year's value is null when
-- the stream's events do not reach back to the start of that window, rather than a false zero.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

windows as (
    select * from {{ ref('int_run_windows') }}
),

portal_groups as (
    -- each portal as it stood at the end of each window (a retired one keeps its last version)
    select
        windows.period_window,
        windows.window_start,
        windows.window_end,
        portals.portal_id,
        portals.portal_group,
        portals.registered_on,
        portals.retired_on
    from {{ ref('dim_portal') }} as portals
    inner join windows
        on portals.valid_from_local < {{ end_of_day('windows.window_end') }}
    qualify row_number() over (
            partition by windows.period_window, portals.portal_id order by portals.valid_from desc
        ) = 1
),

posts_by_group as (
    select
        portal_groups.period_window,
        portal_groups.portal_group,
        count(*) as posts,
        count(*) filter (where posts.kind = 'article') as posts_articles,
        count(*) filter (where posts.kind = 'data_item') as posts_data_items,
        count(*) filter (where posts.language = 'en') as posts_english,
        count(distinct posts.portal_id) as portals_active
    from {{ ref('int_post_publications') }} as posts
    inner join portal_groups
        on
            posts.portal_id = portal_groups.portal_id
            and posts.published_on
            between portal_groups.window_start and portal_groups.window_end
    group by all
),

portals_by_group as (
    select
        period_window,
        portal_group,
        count(*) filter (
            where retired_on is null or retired_on > window_end
        ) as portals_total,
        count(*) filter (where registered_on >= window_start) as portals_new
    from portal_groups
    group by all
),

by_group as (
    select
        coalesce(posts.period_window, portals.period_window) as period_window,
        coalesce(posts.portal_group, portals.portal_group) as portal_group,
        coalesce(posts.posts, 0) as posts,
        coalesce(posts.posts_articles, 0) as posts_articles,
        coalesce(posts.posts_data_items, 0) as posts_data_items,
        coalesce(posts.posts_english, 0) as posts_english,
        coalesce(posts.portals_active, 0) as portals_active,
        coalesce(portals.portals_total, 0) as portals_total,
        coalesce(portals.portals_new, 0) as portals_new
    from posts_by_group as posts
    full outer join portals_by_group as portals
        on
            posts.period_window = portals.period_window
            and posts.portal_group = portals.portal_group
),

grouped as (
    select * from by_group
    union all
    select
        period_window,
        'all_components' as portal_group,
        sum(columns(* exclude (period_window, portal_group)))
    from by_group
    where portal_group != 'province'
    group by period_window
    union all
    select
        period_window,
        'all' as portal_group,
        sum(columns(* exclude (period_window, portal_group)))
    from by_group
    group by period_window
),

questions as (
    select
        facts.period_window,
        'all' as portal_group,
        sum(facts.total) as questions_total,
        sum(facts.eligible) as questions_eligible,
        sum(facts.answered) as questions_answered,
        sum(facts.waiting_answer + facts.waiting_acceptance) as questions_waiting,
        sum(facts.deleted) as questions_deleted,
        sum(facts.late) as questions_late,
        sum(facts.answered) / nullif(sum(facts.eligible), 0) as questions_answered_share
    from {{ ref('fct_questions_period') }} as facts
    inner join run_period on facts.period_id = run_period.period_id
    group by facts.period_window
),

dossiers as (
    select
        facts.period_window,
        'all' as portal_group,
        sum(facts.total) as dossiers_total,
        sum(facts.carried_over) as dossiers_carried_over,
        sum(facts.received_counter) as dossiers_counter,
        sum(facts.received_online) as dossiers_online,
        sum(facts.resolved) as dossiers_resolved,
        sum(
            {% for cell, _, _ in resolved_cells(['early', 'on_time']) %}
                facts.{{ cell }}{{ ' +' if not loop.last }}
            {% endfor %}
        ) as dossiers_resolved_on_time,
        sum(
            {% for cell, _, _ in resolved_cells(['late']) %}
                facts.{{ cell }}{{ ' +' if not loop.last }}
            {% endfor %}
        ) as dossiers_late,
        sum(facts.withdrawn) as dossiers_withdrawn,
        sum(facts.in_progress) as dossiers_in_progress
    from {{ ref('fct_dossiers_period') }} as facts
    inner join run_period on facts.period_id = run_period.period_id
    group by facts.period_window
),

dossier_rates as (
    select
        *,
        dossiers_resolved / nullif(dossiers_total, 0) as dossiers_resolution_rate,
        dossiers_resolved_on_time / nullif(dossiers_resolved, 0) as dossiers_on_time_rate
    from dossiers
),

metric_values as (
    unpivot (select * from grouped)
    on columns(* exclude (period_window, portal_group))
    into name metric value value
    union all
    unpivot (select * from questions)
    on columns(* exclude (period_window, portal_group))
    into name metric value value
    union all
    unpivot (select * from dossier_rates)
    on columns(* exclude (period_window, portal_group))
    into name metric value value
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
        case
            -- last year before the stream's events begin has no value, rather than a zero
            when
                windows.period_window = 'same_period_last_year'
                and date_trunc('month', stream_starts.first_on) > windows.window_start
                then null
            when metrics.unit = 'count' then coalesce(metric_values.value::double, 0)
            else metric_values.value::double
        end as value
    from {{ ref('summary_metrics') }} as metrics
    cross join windows
    inner join stream_starts on metrics.stream = stream_starts.stream
    left join metric_values
        on
            metrics.metric = metric_values.metric
            and metrics.portal_group = metric_values.portal_group
            and windows.period_window = metric_values.period_window
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
        this_period.value - last_year.value as change,
        last_year.window_start as same_period_start,
        last_year.window_end as same_period_end
    from values_per_window as this_period
    inner join values_per_window as last_year
        on
            this_period.metric = last_year.metric
            and this_period.portal_group = last_year.portal_group
            and last_year.period_window = 'same_period_last_year'
    where this_period.period_window = 'period'
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
    compared.change,
    compared.change / nullif(compared.value_same_period_last_year, 0) as change_pct,
    compared.same_period_start,
    compared.same_period_end
from compared
cross join run_period
