{{ config(materialized='view') }}
-- The measurement that stands for each (portal, channel, metric, window): the latest by
-- `occurred_at` (EVENTS.md 1.1), later deliveries correcting earlier ones; ties go to the
-- latest ingested, then the event id. A level's window is its reading date (`window_end`).
select
    portal_id,
    channel,
    metric,
    kind,
    unit,
    window_start,
    window_end,
    value,
    event_id,
    occurred_at,
    count(*) over (
        partition by portal_id, channel, metric, window_start, window_end
    ) as measurements
from {{ ref('stg_channel_events') }}
where kind is not null  -- a pair reference data no longer lists is not read
qualify row_number() over (
        partition by portal_id, channel, metric, window_start, window_end
        order by occurred_at desc, ingested_at desc, event_id desc
    ) = 1
