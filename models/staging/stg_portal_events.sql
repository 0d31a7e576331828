select
    event_id,
    event_type,
    occurred_at,
    occurred_at_local,
    occurred_on,
    portal_id,
    name,
    portal_group,
    bloc,
    scored,
    parent_portal_id,
    successor_portal_ids,
    successor_shares,
    predecessor_portal_ids,
    ingested_at
from {{ source('raw', 'portal_events') }}
