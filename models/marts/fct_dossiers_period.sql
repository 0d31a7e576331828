{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Dossier counts per agency for the run's period (EVENTS.md, stream `dossier`). Each run
-- replaces its own period's rows; other periods stay as they were.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

-- dossiers open at some point of the window: received by its end, not closed before its start
in_window as (
    select
        dossiers.*,
        dossiers.received_on < run_period.period_start as is_carried_over,
        coalesce(dossiers.closed_on <= run_period.period_end, false) as is_closed_in_window
    from {{ ref('int_dossier_lifecycle') }} as dossiers
    cross join run_period
    where
        {{ dossier_open_during('dossiers', 'run_period.period_start', 'run_period.period_end') }}
),

counts as (
    select
        portal_id,
        count(*) as total,
        count(*) filter (where is_carried_over) as carried_over,
        count(*) filter (where not is_carried_over and channel = 'counter') as received_counter,
        count(*) filter (where not is_carried_over and channel = 'online') as received_online,
        {% for cell, level, timeliness in resolved_cells() %}
            count(*) filter (
                where is_closed_in_window and closed_by = 'resolved'
                and service_level = {{ level }} and timeliness = '{{ timeliness }}'
            ) as {{ cell }},
        {% endfor %}
        count(*) filter (where is_closed_in_window and closed_by = 'resolved') as resolved,
        count(*) filter (where is_closed_in_window and closed_by = 'withdrawn') as withdrawn
    from in_window
    group by portal_id
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    counts.*,
    counts.total - counts.resolved - counts.withdrawn as in_progress
from counts
cross join run_period
