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
-- Incremental runs replay only the dossiers that new events touched, from all their events.
with

events as (
    select * from {{ ref('stg_dossier_events') }}
    {% if is_incremental() %}
        where dossier_id in (
                select touched.dossier_id from {{ ref('stg_dossier_events') }} as touched
                where touched.ingested_at
                    > (select max(built.last_ingested_at) from {{ this }} as built)
            )
    {% endif %}
),

-- the first receipt opens the dossier and fixes its agency, channel and service level
receipts as (
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
        ) as receipt
    from events
    where event_type = 'received'
    group by dossier_id
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
    inner join receipts on events.dossier_id = receipts.dossier_id
    where
        events.event_type in ('resolved', 'withdrawn')
        and events.occurred_at >= receipts.receipt.received_at
    group by events.dossier_id
),

-- the due date in force at the resolution: the latest receipt or change at or before it
due_at_closing as (
    select
        events.dossier_id,
        arg_max(events.due_on, row(events.occurred_at, events.event_id)) as due_on
    from events
    inner join closings on events.dossier_id = closings.dossier_id
    where
        events.event_type in ('received', 'due_changed')
        and events.occurred_at <= closings.closing.closed_at
        and closings.closing.kind = 'resolved'
    group by events.dossier_id
),

totals as (
    select
        dossier_id,
        arg_min(portal_id, row(occurred_at, event_id)) as first_portal_id,
        count(*) filter (where event_type = 'resolved') as resolutions,
        count(*) as events,
        max(ingested_at) as last_ingested_at
    from events
    group by dossier_id
)

select
    totals.dossier_id,
    coalesce(receipts.receipt.portal_id, totals.first_portal_id) as portal_id,
    receipts.receipt.channel,
    receipts.receipt.service_level,
    receipts.receipt.received_at,
    receipts.receipt.received_on,
    closings.closing.kind as closed_by,
    closings.closing.closed_at,
    closings.closing.closed_on,
    due_at_closing.due_on as due_on_at_resolution,
    case
        when closings.closing.closed_on < due_at_closing.due_on then 'early'
        when closings.closing.closed_on = due_at_closing.due_on then 'on_time'
        when closings.closing.closed_on > due_at_closing.due_on then 'late'
    end as timeliness,
    receipts.dossier_id is null as is_orphan,
    totals.resolutions,
    totals.events,
    totals.last_ingested_at
from totals
left join receipts on totals.dossier_id = receipts.dossier_id
left join closings on totals.dossier_id = closings.dossier_id
left join due_at_closing on totals.dossier_id = due_at_closing.dossier_id
