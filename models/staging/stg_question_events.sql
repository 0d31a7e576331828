select
    event_id,
    event_type,
    occurred_at,
    occurred_at_local,
    occurred_on,
    portal_id,
    question_id,
    topic,
    deletion_reason,
    -- EVENTS.md: an answer is by an authorised responder unless the source says otherwise
    case
        when event_type = 'answered' then coalesce(responder_authorized, true)
    end as responder_authorized,
    rating,
    asker_key,
    ingested_at
from {{ source('raw', 'question_events') }}
