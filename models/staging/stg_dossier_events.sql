select
    event_id,
    event_type,
    occurred_at,
    occurred_at_local,
    occurred_on,
    portal_id,
    dossier_id,
    procedure_code,
    channel,
    service_level,
    due_at,
    {{ local_time('due_at') }}::date as due_on,
    ingested_at
from {{ source('raw', 'dossier_events') }}
