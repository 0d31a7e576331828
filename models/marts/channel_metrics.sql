{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- MARTS.md 1.1: each channel metric of each portal for the run's period and the same period
-- last year (EVENTS.md, stream `channel`). A flow is the sum of the standing measurements whose
-- windows lie inside the window; one that straddles its start or end is left out (never
-- prorated) and reported in data_quality_findings (`channel_window_straddles_period`). A level
-- is the latest reading on or before the window's end. A value is null when nothing was
-- measured for the window; `change_pct` is null on a zero or null base.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

windows as (
    select * from {{ ref('int_run_windows') }}
),

measurements as (
    select * from {{ ref('int_channel_measurements') }}
),

flows as (
    select
        windows.period_window,
        measurements.portal_id,
        measurements.channel,
        measurements.metric,
        sum(measurements.value) as value,
        count(*) as windows_summed,
        null::date as read_on
    from measurements
    inner join windows
        on
            measurements.window_start >= windows.window_start
            and measurements.window_end <= windows.window_end
    where measurements.kind = 'flow'
    group by
        windows.period_window,
        measurements.portal_id,
        measurements.channel,
        measurements.metric
),

levels as (
    select
        windows.period_window,
        measurements.portal_id,
        measurements.channel,
        measurements.metric,
        arg_max(measurements.value, measurements.window_end) as value,
        null::bigint as windows_summed,
        max(measurements.window_end) as read_on
    from measurements
    inner join windows on measurements.window_end <= windows.window_end
    where measurements.kind = 'level'
    group by
        windows.period_window,
        measurements.portal_id,
        measurements.channel,
        measurements.metric
),

figures as (
    select * from flows
    union all
    select * from levels
),

this_period as (
    select * from figures
    where period_window = 'period'
),

last_year as (
    select * from figures
    where period_window = 'same_period_last_year'
),

compared as (
    select
        coalesce(this_period.portal_id, last_year.portal_id) as portal_id,
        coalesce(this_period.channel, last_year.channel) as channel,
        coalesce(this_period.metric, last_year.metric) as metric,
        this_period.value,
        last_year.value as value_same_period_last_year,
        this_period.windows_summed,
        this_period.read_on,
        last_year.read_on as read_on_same_period_last_year
    from this_period
    full outer join last_year
        on
            this_period.portal_id = last_year.portal_id
            and this_period.channel = last_year.channel
            and this_period.metric = last_year.metric
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    compared.portal_id,
    compared.channel,
    compared.metric,
    channels.kind,
    channels.unit,
    channels.label_vi,
    compared.value,
    compared.value_same_period_last_year,
    compared.value - compared.value_same_period_last_year as change,
    (compared.value - compared.value_same_period_last_year)
    / nullif(compared.value_same_period_last_year, 0) as change_pct,
    compared.windows_summed,
    compared.read_on,
    compared.read_on_same_period_last_year,
    run_period.previous_year_start as same_period_start,
    run_period.previous_year_end as same_period_end
from compared
cross join run_period
inner join {{ ref('channels') }} as channels
    on compared.channel = channels.channel and compared.metric = channels.metric
