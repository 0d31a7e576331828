select
    event_id,
    event_type,
    occurred_at,
    occurred_at_local,
    occurred_on,
    portal_id,
    post_id,
    kind,
    category,
    coalesce(language, 'vi') as language,  -- EVENTS.md: vi unless the source says otherwise
    ingested_at
from {{ source('raw', 'post_events') }}
