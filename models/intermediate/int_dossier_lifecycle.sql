{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='dossier_id',
    )
}}
-- One row per dossier: the replay of its events by `occurred_at`, whatever order they arrived in.
-- The row holds dates, not a status, so it answers for any period and any cutoff: the fact
-- model decides what was carried over, received, resolved or still open in its window.
-- Each step keeps only what the next one needs, and what it keeps spills to disk beyond dbt's
-- memory budget. Incremental runs replay only the dossiers that new events touched.
with

{% if is_incremental() %}
    -- the events of the dossiers new events touched, read once and kept: a fraction of the
    -- history, read by each step below. (Left to filter the whole history at each step, the
    -- replay of one quarter on 10M events ran out of memory within dbt's 2500MB.)
    events as materialized (
        select * from {{ ref('stg_dossier_events') }}
        where dossier_id in (
                select touched.dossier_id from {{ ref('stg_dossier_events') }} as touched
                where
                    touched.ingested_at
                    > (select max(built.last_ingested_at) from {{ this }} as built)
            )
    ),
{% else %}
    events as not materialized (  -- each step scans only the columns and events it needs
        select * from {{ ref('stg_dossier_events') }}
    ),
{% endif %}

-- the first receipt opens the dossier and fixes its agency, channel and service level. Each
-- "first" or "latest" is a window's first row rather than an arg_min over structs: DuckDB spills
-- a window's partitions to disk, where it holds every dossier's struct state in memory, so the
-- replay stays within dbt's memory limit however many dossiers the history holds.
receipts as (
    select
        dossier_id,
        portal_id,
        channel,
        service_level,
        occurred_at as received_at,
        occurred_on as received_on
    from events
    where event_type = 'received'
    qualify row_number() over (partition by dossier_id order by occurred_at, event_id) = 1
),

collected as (
    select
        dossier_id,
        min(occurred_at) filter (where event_type in ('resolved', 'withdrawn')) as first_closed_at,
        count(*) filter (where event_type = 'resolved') as resolutions,
        min(portal_id) as any_portal_id,
        count(*) as events,
        max(ingested_at) as last_ingested_at
    from events
    group by dossier_id
),

-- the first resolution or withdrawal after the receipt closes it; later ones change nothing
closings as (
    select
        events.dossier_id,
        events.event_type as kind,
        events.occurred_at as closed_at,
        events.occurred_on as closed_on
    from events
    inner join receipts on events.dossier_id = receipts.dossier_id
    where
        events.event_type in ('resolved', 'withdrawn')
        and events.occurred_at >= receipts.received_at
    qualify
        row_number() over (
            partition by events.dossier_id order by events.occurred_at, events.event_id
        ) = 1
),

-- the due date in force at the resolution: the latest receipt or change at or before it
due_at_resolution as (
    select
        events.dossier_id,
        events.due_on
    from events
    inner join closings on events.dossier_id = closings.dossier_id
    where
        closings.kind = 'resolved'
        and events.event_type in ('received', 'due_changed')
        and events.occurred_at <= closings.closed_at
        and events.due_on is not null
    qualify
        row_number() over (
            partition by events.dossier_id
            order by events.occurred_at desc, events.event_id desc
        ) = 1
)

select
    collected.dossier_id,
    coalesce(receipts.portal_id, collected.any_portal_id) as portal_id,
    receipts.channel,
    receipts.service_level,
    receipts.received_at,
    receipts.received_on,
    closings.kind as closed_by,
    closings.closed_at,
    closings.closed_on,
    due_at_resolution.due_on as due_on_at_resolution,
    case
        when closings.closed_on < due_at_resolution.due_on then 'early'
        when closings.closed_on = due_at_resolution.due_on then 'on_time'
        when closings.closed_on > due_at_resolution.due_on then 'late'
    end as timeliness,
    receipts.dossier_id is null as is_orphan,
    -- a closing with no receipt before it cannot be followed (data_quality_findings says so)
    coalesce(
        collected.first_closed_at < receipts.received_at
        or (receipts.dossier_id is null and collected.first_closed_at is not null),
        false
    ) as has_unfollowed_closings,
    collected.resolutions,
    collected.events,
    collected.last_ingested_at
from collected
left join receipts on collected.dossier_id = receipts.dossier_id
left join closings on collected.dossier_id = closings.dossier_id
left join due_at_resolution on collected.dossier_id = due_at_resolution.dossier_id
