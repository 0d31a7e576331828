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

-- Without the staging's `due_on`: it converts each event's due time in the time zone before any
-- filter here (a join) can apply, so every event of the history would pay for it; the one step
-- that needs it converts the few it keeps (an incremental replay of a quarter on 10M events:
-- 1.9 -> 1.3 s).
{% if is_incremental() %}
    -- the events of the dossiers new events touched, read once and kept: a fraction of the
    -- history, read by each step below. (Left to filter the whole history at each step, the
    -- replay of one quarter on 10M events ran out of memory within dbt's 2500MB.)
    events as materialized (
        {{ new_and_touched_again(ref('stg_dossier_events'), ['dossier_id'],
                                 columns='* exclude (due_on)') }}
    ),
{% else %}
    events as not materialized (  -- each step scans only the columns and events it needs
        select * exclude (due_on) from {{ ref('stg_dossier_events') }}
    ),
{% endif %}

-- One pass over every event: the counts that say whether a dossier needs replaying event by
-- event, and the values of a plain dossier's only receipt and closing (their min() is that
-- event's). Kept: the dossiers that need the replay are read from it again. No state here holds
-- a string longer than DuckDB's 12 inlined bytes: such a min() is allocated outside the memory
-- limit and never spills (two portal ids per dossier took dbt's peak at 100M events from 3.5 to
-- 4.9 GB), so the receipt's portal is kept as its hash and read back from `portal_hashes`.
collected as materialized (
    select
        dossier_id,
        count(*) filter (where event_type = 'received') = 1
        and count(*) filter (where event_type in ('resolved', 'withdrawn')) <= 1
        and count(*) filter (where event_type = 'due_changed') = 0 as is_plain,
        min(occurred_at) filter (where event_type = 'received') as received_at,
        min(occurred_on) filter (where event_type = 'received') as received_on,
        min(hash(portal_id)) filter (where event_type = 'received') as received_by_hash,
        min(channel) filter (where event_type = 'received') as channel,
        min(service_level) filter (where event_type = 'received') as service_level,
        min(due_at) filter (where event_type = 'received') as due_at_receipt,
        min(occurred_at) filter (where event_type in ('resolved', 'withdrawn')) as first_closed_at,
        min(occurred_on) filter (where event_type in ('resolved', 'withdrawn')) as first_closed_on,
        min(event_type) filter (where event_type in ('resolved', 'withdrawn')) as first_closed_by,
        count(*) filter (where event_type = 'resolved') as resolutions,
        count(*) as events,
        max(ingested_at) as last_ingested_at
    from events
    group by dossier_id
),

-- every portal id the events name, by its hash: a few hundred rows; two ids of one hash stop
-- the build rather than mix their dossiers. Grouped by the column, whose statistics tell the
-- planner how few they are: grouped by the hash, it expected millions and hashed the plain
-- dossiers to join them to it, not this to them (4.6 s of CPU at 10M events).
portal_hashes as materialized (
    select
        hash(portal_id) as portal_hash,
        if(
            count(*) over (partition by hash(portal_id)) = 1,
            portal_id,
            error('two portal ids share a hash')
        ) as portal_id
    from events
    group by portal_id
),

-- A plain dossier (one receipt, at most one closing, no due date changed: 98.5% of them at 10M
-- events) needs no ordering: its closing counts unless it came before the receipt, and the due
-- date in force at the resolution is the receipt's.
plain as (
    select
        dossier_id,
        received_by_hash,
        channel,
        service_level,
        received_at,
        received_on,
        if(first_closed_at >= received_at, first_closed_by, null) as closed_by,
        if(first_closed_at >= received_at, first_closed_at, null) as closed_at,
        if(first_closed_at >= received_at, first_closed_on, null) as closed_on,
        -- the local date of the one receipt's due time, converted here for the dossiers that
        -- need it rather than in the pass over every event (1.5 s of 17 at 10M events)
        if(
            first_closed_at >= received_at and first_closed_by = 'resolved',
            {{ local_time('due_at_receipt') }}::date,
            null
        ) as due_on_at_resolution,
        first_closed_at,
        resolutions,
        events,
        last_ingested_at
    from collected
    where is_plain
),

-- The others are replayed event by event, in the order of `occurred_at`. Each "first" or
-- "latest" is a window's first row rather than an arg_min over structs: DuckDB spills a window's
-- partitions to disk, where it holds every dossier's struct state in memory.
replayed_events as (
    select * from events
    where dossier_id in (
            select collected.dossier_id from collected
            where not collected.is_plain
        )
),

-- the first receipt opens the dossier and fixes its agency, channel and service level
receipts as (
    select
        dossier_id,
        portal_id as received_by,
        channel,
        service_level,
        occurred_at as received_at,
        occurred_on as received_on
    from replayed_events
    where event_type = 'received'
    qualify row_number() over (partition by dossier_id order by occurred_at, event_id) = 1
),

-- the first resolution or withdrawal after the receipt closes it; later ones change nothing
closings as (
    select
        replayed_events.dossier_id,
        replayed_events.event_type as closed_by,
        replayed_events.occurred_at as closed_at,
        replayed_events.occurred_on as closed_on
    from replayed_events
    inner join receipts on replayed_events.dossier_id = receipts.dossier_id
    where
        replayed_events.event_type in ('resolved', 'withdrawn')
        and replayed_events.occurred_at >= receipts.received_at
    qualify
        row_number() over (
            partition by replayed_events.dossier_id
            order by replayed_events.occurred_at, replayed_events.event_id
        ) = 1
),

-- the due date in force at the resolution: the latest receipt or change at or before it
due_at_resolution as (
    select
        replayed_events.dossier_id,
        {{ local_time('replayed_events.due_at') }}::date as due_on_at_resolution
    from replayed_events
    inner join closings on replayed_events.dossier_id = closings.dossier_id
    where
        closings.closed_by = 'resolved'
        and replayed_events.event_type in ('received', 'due_changed')
        and replayed_events.occurred_at <= closings.closed_at
        and replayed_events.due_at is not null
    qualify
        row_number() over (
            partition by replayed_events.dossier_id
            order by replayed_events.occurred_at desc, replayed_events.event_id desc
        ) = 1
),

-- an orphan's agency (it has no receipt): the first of its events' portal ids in sort order
replayed_portals as (
    select
        dossier_id,
        min(portal_id) as any_portal_id
    from replayed_events
    group by dossier_id
),

replayed as (
    select
        plain.* exclude (plain.received_by_hash),
        portal_hashes.portal_id as received_by
    from plain
    inner join portal_hashes on plain.received_by_hash = portal_hashes.portal_hash
    union all by name
    select
        collected.dossier_id,
        receipts.received_by,
        receipts.channel,
        receipts.service_level,
        receipts.received_at,
        receipts.received_on,
        closings.closed_by,
        closings.closed_at,
        closings.closed_on,
        due_at_resolution.due_on_at_resolution,
        collected.first_closed_at,
        replayed_portals.any_portal_id,
        collected.resolutions,
        collected.events,
        collected.last_ingested_at
    from collected
    left join receipts on collected.dossier_id = receipts.dossier_id
    left join closings on collected.dossier_id = closings.dossier_id
    left join due_at_resolution on collected.dossier_id = due_at_resolution.dossier_id
    left join replayed_portals on collected.dossier_id = replayed_portals.dossier_id
    where not collected.is_plain
)

select
    dossier_id,
    coalesce(received_by, any_portal_id) as portal_id,
    channel,
    service_level,
    received_at,
    received_on,
    closed_by,
    closed_at,
    closed_on,
    due_on_at_resolution,
    case
        when closed_on < due_on_at_resolution then 'early'
        when closed_on = due_on_at_resolution then 'on_time'
        when closed_on > due_on_at_resolution then 'late'
    end as timeliness,
    received_at is null as is_orphan,
    -- a closing with no receipt before it cannot be followed (data_quality_findings says so)
    coalesce(
        first_closed_at < received_at or (received_at is null and first_closed_at is not null),
        false
    ) as has_unfollowed_closings,
    resolutions,
    events,
    last_ingested_at
from replayed
