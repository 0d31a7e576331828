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
-- One pass over the events collects each dossier's few closings and due dates as small lists,
-- so the replay reads the events once (ten million of them in seconds, not minutes).
-- Incremental runs replay only the dossiers that new events touched, from all their events.
with

events as (
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

collected as (
    select
        dossier_id,
        -- the first receipt opens the dossier and fixes its agency, channel and service level
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
        list(
            struct_pack(
                occurred_at := occurred_at,
                event_id := event_id,
                kind := event_type,
                occurred_on := occurred_on,
                portal_id := portal_id
            )
        ) filter (where event_type in ('resolved', 'withdrawn')) as closings,
        list(
            struct_pack(occurred_at := occurred_at, event_id := event_id, due_on := due_on)
        ) filter (where event_type in ('received', 'due_changed')) as due_dates,
        min(portal_id) as any_portal_id,
        count(*) as events,
        max(ingested_at) as last_ingested_at
    from events
    group by dossier_id
),

followed as (
    select
        *,
        -- closings after the receipt, in order: the first closes the dossier, later ones change
        -- nothing; closings before any receipt cannot be followed (a data-quality finding)
        list_sort(
            list_filter(closings, lambda c: c.occurred_at >= receipt.received_at)
        ) as followed_closings,
        list_filter(
            closings, lambda c: receipt is null or c.occurred_at < receipt.received_at
        ) as unfollowed_closings
    from collected
),

closed as (
    select
        *,
        followed_closings[1] as closing,
        -- the due date in force at the resolution: the latest receipt or change at or before it
        list_sort(
            list_filter(due_dates, lambda d: d.occurred_at <= followed_closings[1].occurred_at)
        )[-1].due_on as due_on_at_closing
    from followed
)

select
    dossier_id,
    coalesce(receipt.portal_id, any_portal_id) as portal_id,
    receipt.channel,
    receipt.service_level,
    receipt.received_at,
    receipt.received_on,
    closing.kind as closed_by,
    closing.occurred_at as closed_at,
    closing.occurred_on as closed_on,
    case when closing.kind = 'resolved' then due_on_at_closing end as due_on_at_resolution,
    case
        when closing.kind != 'resolved' then null
        when closing.occurred_on < due_on_at_closing then 'early'
        when closing.occurred_on = due_on_at_closing then 'on_time'
        when closing.occurred_on > due_on_at_closing then 'late'
    end as timeliness,
    receipt is null as is_orphan,
    coalesce(len(list_filter(closings, lambda c: c.kind = 'resolved')), 0) as resolutions,
    -- the events data_quality_findings reports: closings with no receipt before them, and every
    -- resolution after the first one that counted
    coalesce(unfollowed_closings, []) as orphan_closings,
    coalesce(
        list_filter(followed_closings, lambda c: c.kind = 'resolved')[2:], []
    ) as repeated_resolutions,
    events,
    last_ingested_at
from closed
