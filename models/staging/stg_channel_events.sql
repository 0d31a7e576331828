-- v1.1: the measurements of the province's other channels (EVENTS.md, stream `channel`), with
-- the kind (flow / level) and unit that reference data (seeds/channels.csv) gives each metric.
select
    events.event_id,
    events.event_type,
    events.occurred_at,
    events.occurred_at_local,
    events.occurred_on,
    events.portal_id,
    events.channel,
    events.metric,
    channels.kind,
    channels.unit,
    events.value::double as value,
    events.window_start,
    events.window_end,
    events.ingested_at
from {{ source('raw', 'channel_events') }} as events
left join {{ ref('channels') }} as channels
    on events.channel = channels.channel and events.metric = channels.metric
