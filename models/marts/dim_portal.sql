-- The portal registry as a slowly changing dimension: one row per portal and validity interval.
-- `registered` and `updated` open a version that carries forward every field they do not name;
-- `retired` closes the last one. `reporting_group` is the level a group reports at (reference
-- data `portal_groups`: a ward or special zone reports with the communes).
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
        arg_max(successor_portal_ids, occurred_at) filter (where event_type = 'retired')
            over portal as successor_portal_ids,
        arg_max(successor_shares, occurred_at) filter (where event_type = 'retired')
            over portal as successor_shares,
        arg_max(predecessor_portal_ids, occurred_at) filter (where event_type = 'registered')
            over portal as predecessor_portal_ids
    from ordered
    window
        history as (partition by portal_id order by occurred_at, type_order, event_id),
        carried_forward as (
            partition by portal_id order by occurred_at, type_order, event_id
            rows between unbounded preceding and current row
        ),
        portal as (partition by portal_id)
),

reporting_groups as (
    -- the latest row of each group says the level it reports at
    select
        portal_group,
        arg_max(reporting_group, effective_from) as reporting_group
    from {{ ref('portal_groups') }}
    group by portal_group
)

select
    carried.portal_id,
    carried.name,
    carried.portal_group,
    coalesce(reporting_groups.reporting_group, carried.portal_group) as reporting_group,
    carried.bloc,
    carried.scored,
    carried.parent_portal_id,
    carried.valid_from,
    carried.valid_to,
    carried.valid_to is null as is_current,
    {{ local_time('carried.valid_from') }} as valid_from_local,
    {{ local_time('carried.valid_to') }} as valid_to_local,
    carried.registered_at,
    carried.retired_at,
    {{ local_time('carried.registered_at') }}::date as registered_on,
    {{ local_time('carried.retired_at') }}::date as retired_on,
    carried.successor_portal_ids,
    carried.successor_shares,
    carried.predecessor_portal_ids
from carried
left join reporting_groups on carried.portal_group = reporting_groups.portal_group
where carried.event_type != 'retired'
