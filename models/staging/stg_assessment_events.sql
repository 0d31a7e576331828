select
    event_id,
    event_type,
    occurred_at,
    occurred_at_local,
    occurred_on,
    portal_id,
    period_id,
    criterion,
    points,
    note,
    assessor,
    ingested_at
from {{ source('raw', 'assessment_events') }}
