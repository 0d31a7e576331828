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

published as (
    select * from {{ ref('stg_post_events') }}
    where event_type = 'published'
),

{% if is_incremental() %}
    touched as (
        select distinct
            portal_id,
            post_id
        from published
        where ingested_at > {{ incremental_watermark() }}
    ),
{% endif %}

replayed as (
    select
        published.portal_id,
        published.post_id,
        published.event_id,
        published.occurred_at as published_at,
        published.occurred_on as published_on,
        published.kind,
        published.category,
        published.language,
        max(published.ingested_at)
            over (partition by published.portal_id, published.post_id)
            as last_ingested_at
    from published
    {% if is_incremental() %}
        semi join touched
            on published.portal_id = touched.portal_id and published.post_id = touched.post_id
    {% endif %}
    qualify
        row_number() over (
            partition by published.portal_id, published.post_id
            order by published.occurred_at, published.event_id
        ) = 1
)

select * from replayed
