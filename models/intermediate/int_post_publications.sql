-- Each post once, as first published (EVENTS.md: a post counts in the period holding its first
-- `published` event; a later `unpublished` does not take it out of that period). The first is
-- a window's first row rather than an arg_min over a struct: DuckDB spills a window to disk,
-- not a struct's aggregate state (int_dossier_lifecycle says more).
select
    portal_id,
    post_id,
    event_id,
    occurred_at as published_at,
    occurred_on as published_on,
    kind,
    category,
    language
from {{ ref('stg_post_events') }}
where event_type = 'published'
qualify row_number() over (partition by portal_id, post_id order by occurred_at, event_id) = 1
