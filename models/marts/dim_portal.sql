-- The portal registry as a slowly changing dimension: one row per portal and validity interval.
-- `registered` and `updated` open a version that carries forward every field they do not name;
-- `retired` closes the last one.
with

events as (
    select * from {{ ref('stg_portal_events') }}
),

ordered as (
    select
        *,
        -- at one instant a registration comes before an update, and both before a retirement
        case event_type when 'registered' then 0 when 'updated' then 1 else 2 end as type_order
    from events
),

carried as (
    select
        portal_id,
        event_type,
        occurred_at as valid_from,
        lead(occurred_at) over history as valid_to,
        last_value(name ignore nulls) over carried_forward as name,
        last_value(portal_group ignore nulls) over carried_forward as portal_group,
        last_value(bloc ignore nulls) over carried_forward as bloc,
        last_value(scored ignore nulls) over carried_forward as scored,
        last_value(parent_portal_id ignore nulls) over carried_forward as parent_portal_id,
        min(occurred_at) filter (where event_type = 'registered') over portal as registered_at,
        max(occurred_at) filter (where event_type = 'retired') over portal as retired_at,
        max(successor_portal_ids) filter (where event_type = 'retired') over portal
            as successor_portal_ids
    from ordered
    window
        history as (partition by portal_id order by occurred_at, type_order, event_id),
        carried_forward as (
            partition by portal_id order by occurred_at, type_order, event_id
            rows between unbounded preceding and current row
        ),
        portal as (partition by portal_id)
)

select
    portal_id,
    name,
    portal_group,
    bloc,
    scored,
    parent_portal_id,
    valid_from,
    valid_to,
    valid_to is null as is_current,
    {{ local_time('valid_from') }} as valid_from_local,
    {{ local_time('valid_to') }} as valid_to_local,
    registered_at,
    retired_at,
    {{ local_time('registered_at') }}::date as registered_on,
    {{ local_time('retired_at') }}::date as retired_on,
    successor_portal_ids
from carried
where event_type != 'retired'
