{{ config(materialized='view', tags=['period']) }}
-- Each portal as the run's period leaves it: the version in force at the end of its last day, or,
-- for a portal retired by then, its last version (so its activity still has a name).
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

versions as (
    select
        portals.*,
        portals.valid_from_local < {{ end_of_day('run_period.period_end') }}
        and (
            portals.valid_to_local is null
            or portals.valid_to_local >= {{ end_of_day('run_period.period_end') }}
        ) as is_in_force
    from {{ ref('dim_portal') }} as portals
    cross join run_period
    where portals.valid_from_local < {{ end_of_day('run_period.period_end') }}
)

select
    portal_id,
    name,
    portal_group,
    reporting_group,
    bloc,
    scored,
    parent_portal_id,
    registered_at,
    registered_on,
    retired_at,
    retired_on,
    successor_portal_ids,
    predecessor_portal_ids,
    is_in_force
from versions
qualify row_number() over (partition by portal_id order by valid_from desc) = 1
