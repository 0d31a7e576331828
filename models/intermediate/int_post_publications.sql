{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['portal_id', 'post_id'],
    )
}}
-- Each post once, as first published (EVENTS.md: a post counts in the period holding its first
-- `published` event; a later `unpublished` does not take it out of that period). The first is
-- a window's first row rather than an arg_min over a struct: DuckDB spills a window to disk,
-- not a struct's aggregate state (int_dossier_lifecycle says more). Incremental runs look again
-- only at the posts that new `published` events name: a late event may be a post's first.
with

{% if is_incremental() %}
    published as materialized (
        {{ new_and_touched_again(ref('stg_post_events'), ['portal_id', 'post_id'],
                                 where="event_type = 'published'") }}
    ),
{% else %}
    published as (
        select * from {{ ref('stg_post_events') }}
        where event_type = 'published'
    ),
{% endif %}

replayed as (
    select
        portal_id,
        post_id,
        event_id,
        occurred_at as published_at,
        occurred_on as published_on,
        kind,
        category,
        language,
        max(ingested_at) over (partition by portal_id, post_id) as last_ingested_at
    from published
    qualify
        row_number() over (
            partition by portal_id, post_id
            order by occurred_at, event_id
        ) = 1
)

select * from replayed
