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
    -- As in int_dossier_lifecycle: the new events by their ingest time alone (the newest row
    -- groups), and the earlier events of the posts they name again (hundreds in a quarter),
    -- found first by the history's keys alone. Joined at once to the whole history, every
    -- post a quarter names made a hash join with every event's columns (10M post events and
    -- a quarter naming 970k posts, in plain DuckDB: 2.0-2.2 s -> 1.4-1.5 s).
    {% set watermark = incremental_watermark() %}  {#- it asks the warehouse for columns: once -#}
    named as (
        select
            portal_id,
            post_id
        from {{ ref('stg_post_events') }}
        where event_type = 'published' and ingested_at > {{ watermark }}
    ),

    named_again as (
        select
            earlier.portal_id,
            earlier.post_id
        from {{ ref('stg_post_events') }} as earlier
        semi join named
            on earlier.portal_id = named.portal_id and earlier.post_id = named.post_id
        where earlier.event_type = 'published' and earlier.ingested_at <= {{ watermark }}
    ),

    published as materialized (
        select * from {{ ref('stg_post_events') }}
        where event_type = 'published' and ingested_at > {{ watermark }}
        union all
        select history.* from {{ ref('stg_post_events') }} as history
        semi join named_again
            on history.portal_id = named_again.portal_id and history.post_id = named_again.post_id
        where history.event_type = 'published' and history.ingested_at <= {{ watermark }}
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
