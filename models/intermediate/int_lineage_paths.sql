-- Every unit's descendants through chains of reorganisations (A → B → C): one row per path, with
-- the share of the ancestor's history that reaches the descendant (the product of the steps'
-- shares; null when a step is a split without shares) and the date its last step took effect.
-- The unit in force at a date D for an ancestor is a descendant in force at D whose path took
-- effect on or before D; a diamond (a split whose parts merge again) is several paths.
with recursive

edges as (
    select
        predecessor_portal_id,
        successor_portal_id,
        effective_on,
        share
    from {{ ref('portal_lineage') }}
    where is_agreed
),

paths (ancestor_portal_id, descendant_portal_id, share, effective_on, steps) as (
    select
        predecessor_portal_id,
        successor_portal_id,
        share,
        effective_on,
        [predecessor_portal_id, successor_portal_id]
    from edges

    union all

    select
        paths.ancestor_portal_id,
        edges.successor_portal_id,
        paths.share * edges.share,
        greatest(paths.effective_on, edges.effective_on),
        list_append(paths.steps, edges.successor_portal_id)
    from paths
    inner join edges on paths.descendant_portal_id = edges.predecessor_portal_id
    -- a registry that loops back is cut where it would revisit a unit
    where not list_contains(paths.steps, edges.successor_portal_id)
)

select
    ancestor_portal_id,
    descendant_portal_id,
    share,
    effective_on,
    steps
from paths
