-- Each post once, as first published (EVENTS.md: a post counts in the period holding its first
-- `published` event; a later `unpublished` does not take it out of that period).
with

publications as (
    select
        portal_id,
        post_id,
        arg_min(
            struct_pack(
                event_id := event_id,
                published_at := occurred_at,
                published_on := occurred_on,
                kind := kind,
                category := category,
                language := language
            ),
            row(occurred_at, event_id)
        ) as first_published
    from {{ ref('stg_post_events') }}
    where event_type = 'published'
    group by portal_id, post_id
)

select
    portal_id,
    post_id,
    first_published.event_id,
    first_published.published_at,
    first_published.published_on,
    first_published.kind,
    first_published.category,
    first_published.language
from publications
