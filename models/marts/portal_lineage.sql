-- The dated lineage of reorganised units (EVENTS.md 1.1, "Lineage"): one row per predecessor and
-- successor. A `retired` event naming successors (with shares, for a split) and a `registered`
-- event naming predecessors say the same thing from either side; either is enough. A successor
-- that claims a predecessor whose own retirement names other successors disagrees with it
-- (`is_agreed` false; data_quality_findings reports it): the retirement stands, and no
-- restatement follows the claim. A retirement naming a unit registered earlier with other
-- predecessors is a later merger into it, not a disagreement.
with

events as (
    select * from {{ ref('stg_portal_events') }}
),

retirements as (
    -- a portal's latest retirement is its last word on where its history goes
    select
        portal_id,
        arg_max(occurred_on, row(occurred_at, event_id)) as retired_on,
        arg_max(successor_portal_ids, row(occurred_at, event_id)) as successor_portal_ids,
        arg_max(successor_shares, row(occurred_at, event_id)) as successor_shares
    from events
    where event_type = 'retired'
    group by portal_id
),

named_by_predecessor as (
    select
        retirements.portal_id as predecessor_portal_id,
        retirements.successor_portal_ids[position] as successor_portal_id,
        retirements.retired_on as effective_on,
        case
            when retirements.successor_shares is not null
                then retirements.successor_shares[position]::double
            -- a single successor takes the whole history; several without shares: not restated
            when len(retirements.successor_portal_ids) = 1 then 1.0
        end as share
    from retirements,
        unnest(range(1, len(retirements.successor_portal_ids) + 1)) as positions (position)
),

named_by_successor as (
    select distinct
        predecessors.predecessor_portal_id,
        events.portal_id as successor_portal_id,
        events.occurred_on as effective_on
    from events,
        unnest(events.predecessor_portal_ids) as predecessors (predecessor_portal_id)
    where events.event_type = 'registered'
),

edges as (
    select
        coalesce(by_predecessor.predecessor_portal_id, by_successor.predecessor_portal_id)
            as predecessor_portal_id,
        coalesce(by_predecessor.successor_portal_id, by_successor.successor_portal_id)
            as successor_portal_id,
        coalesce(by_predecessor.effective_on, by_successor.effective_on) as effective_on,
        by_predecessor.share as share_named,
        by_predecessor.predecessor_portal_id is not null as named_by_predecessor,
        by_successor.successor_portal_id is not null as named_by_successor
    from named_by_predecessor as by_predecessor
    full outer join named_by_successor as by_successor
        on
            by_predecessor.predecessor_portal_id = by_successor.predecessor_portal_id
            and by_predecessor.successor_portal_id = by_successor.successor_portal_id
),

judged as (
    select
        edges.*,
        edges.named_by_predecessor or retirements.successor_portal_ids is null as is_agreed
    from edges
    left join retirements on edges.predecessor_portal_id = retirements.portal_id
    where edges.predecessor_portal_id != edges.successor_portal_id
),

counted as (
    select
        *,
        count(*) filter (where is_agreed) over (partition by predecessor_portal_id)
            as successors,
        count(*) filter (where is_agreed) over (partition by successor_portal_id)
            as predecessors
    from judged
)

select
    predecessor_portal_id,
    successor_portal_id,
    effective_on,
    -- named by the successor alone: the whole history when it is the only successor
    case
        when not is_agreed then null
        when named_by_predecessor then share_named
        when successors = 1 then 1.0
    end as share,
    case
        when successors > 1 then 'split'
        when predecessors > 1 then 'merge'
        else 'transfer'
    end as kind,
    named_by_predecessor,
    named_by_successor,
    is_agreed
from counted
