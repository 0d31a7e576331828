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
-- Each step keeps only what the next one needs, so ten million events replay within dbt's
-- memory budget. Incremental runs replay only the dossiers that new events touched.
with

events as not materialized (  -- each step scans only the columns and events it needs
    select * from {{ ref('stg_dossier_events') }}
    {% if is_incremental() %}
        where dossier_id in (
                select touched.dossier_id from {{ ref('stg_dossier_events') }} as touched
                where
                    touched.ingested_at
                    > (select max(built.last_ingested_at) from {{ this }} as built)
            )
    {% endif %}
),

-- the first receipt opens the dossier and fixes its agency, channel and service level
collected as (
    select
        dossier_id,
        arg_min(
            struct_pack(
                portal_id := portal_id,
                channel := channel,
                service_level := service_level,
                received_at := occurred_at,
                received_on := occurred_on
            ),
            row(occurred_at, event_id)
        ) filter (where event_type = 'received') as receipt,
        min(occurred_at) filter (where event_type in ('resolved', 'withdrawn')) as first_closed_at,
        count(*) filter (where event_type = 'resolved') as resolutions,
        min(portal_id) as any_portal_id,
        count(*) as events,
        max(ingested_at) as last_ingested_at
    from events
    group by dossier_id
),

opened as (
    select
        dossier_id,
        receipt.received_at
    from collected
    where receipt is not null
),

-- the first resolution or withdrawal after the receipt closes it; later ones change nothing
closings as (
    select
        events.dossier_id,
        arg_min(
            struct_pack(
                kind := events.event_type,
                closed_at := events.occurred_at,
                closed_on := events.occurred_on
            ),
            row(events.occurred_at, events.event_id)
        ) as closing
    from events
    inner join opened on events.dossier_id = opened.dossier_id
    where
        events.event_type in ('resolved', 'withdrawn')
        and events.occurred_at >= opened.received_at
    group by events.dossier_id
),

resolved as (
    select
        dossier_id,
        closing.closed_at
    from closings
    where closing.kind = 'resolved'
),

-- the due date in force at the resolution: the latest receipt or change at or before it
due_at_resolution as (
    select
        events.dossier_id,
        arg_max(events.due_on, row(events.occurred_at, events.event_id)) as due_on
    from events
    inner join resolved on events.dossier_id = resolved.dossier_id
    where
        events.event_type in ('received', 'due_changed')
        and events.occurred_at <= resolved.closed_at
    group by events.dossier_id
)

select
    collected.dossier_id,
    coalesce(collected.receipt.portal_id, collected.any_portal_id) as portal_id,
    collected.receipt.channel,
    collected.receipt.service_level,
    collected.receipt.received_at,
    collected.receipt.received_on,
    closings.closing.kind as closed_by,
    closings.closing.closed_at,
    closings.closing.closed_on,
    due_at_resolution.due_on as due_on_at_resolution,
    case
        when closings.closing.closed_on < due_at_resolution.due_on then 'early'
        when closings.closing.closed_on = due_at_resolution.due_on then 'on_time'
        when closings.closing.closed_on > due_at_resolution.due_on then 'late'
    end as timeliness,
    collected.receipt is null as is_orphan,
    -- a closing with no receipt before it cannot be followed (data_quality_findings says so)
    coalesce(
        collected.first_closed_at < collected.receipt.received_at
        or (collected.receipt is null and collected.first_closed_at is not null),
        false
    ) as has_unfollowed_closings,
    collected.resolutions,
    collected.events,
    collected.last_ingested_at
from collected
left join closings on collected.dossier_id = closings.dossier_id
left join due_at_resolution on collected.dossier_id = due_at_resolution.dossier_id
