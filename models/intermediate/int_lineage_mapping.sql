{{ config(materialized='view', tags=['period']) }}
-- Where each unit's figures go on the units in force at the run period's end (EVENTS.md 1.1):
-- a unit in force maps to itself; a retired unit maps to its descendants in force then, through
-- chains, with the share of its history each takes (null: a split without shares, not
-- restated); a retired unit with no descendant in force keeps its own figures (maps to itself).
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

portals as (
    select * from {{ ref('int_portal_at_period_end') }}
),

descended as (
    select
        paths.ancestor_portal_id as portal_id,
        paths.descendant_portal_id as target_portal_id,
        -- a diamond (split, then merged again) adds its paths' shares up
        case when bool_and(paths.share is not null) then sum(paths.share) end as share,
        max(paths.effective_on) as effective_on
    from {{ ref('int_lineage_paths') }} as paths
    cross join run_period
    inner join portals as ancestors
        on paths.ancestor_portal_id = ancestors.portal_id and not ancestors.is_in_force
    inner join portals as descendants
        on paths.descendant_portal_id = descendants.portal_id and descendants.is_in_force
    where paths.effective_on <= run_period.period_end
    group by paths.ancestor_portal_id, paths.descendant_portal_id
),

mapping as (
    select
        portal_id,
        target_portal_id,
        share,
        effective_on
    from descended
    union all
    select
        portal_id,
        portal_id as target_portal_id,
        1.0 as share,
        null::date as effective_on
    from portals
    where is_in_force or portal_id not in (select descended.portal_id from descended)
)

select
    mapping.portal_id,
    mapping.target_portal_id,
    mapping.portal_id = mapping.target_portal_id as is_self,
    mapping.share,
    mapping.effective_on,
    targets.portal_group as target_portal_group,
    targets.reporting_group as target_reporting_group
from mapping
inner join portals as targets on mapping.target_portal_id = targets.portal_id
