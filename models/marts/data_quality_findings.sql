{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- What the replay could not follow, per finding and agency, for events dated in the run's period
-- (assessments: naming it): reported here instead of being counted (the seed's negative "đang
-- giải quyết" came from counting such events).
{% set streams = ['dossier', 'question', 'post', 'assessment', 'channel'] %}
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

-- each stream's events dated in the period
{% for stream in streams %}
    {{ stream }}_events as (
        select events.*
        from {{ ref('stg_' ~ stream ~ '_events') }} as events
        cross join run_period
        where events.occurred_on between run_period.period_start and run_period.period_end
    ),
{% endfor %}

dossiers as (
    select * from {{ ref('int_dossier_lifecycle') }}
    where has_unfollowed_closings or resolutions > 1
),

-- the closings of the few dossiers the replay could not follow to the end, read once: two
-- readings of every dossier event, one per finding below, took most of this model's time
flagged_closings as materialized (
    select
        events.*,
        dossiers.is_orphan,
        dossiers.received_at,
        dossiers.resolutions
    from {{ ref('stg_dossier_events') }} as events
    inner join dossiers on events.dossier_id = dossiers.dossier_id
    where events.event_type in ('resolved', 'withdrawn')
),

-- a resolution or withdrawal with no receipt at or before it
orphan_resolutions as (
    select
        'dossier' as stream,
        'orphan_resolution' as finding,
        flagged_closings.portal_id,
        flagged_closings.event_id
    from flagged_closings
    cross join run_period
    where
        flagged_closings.occurred_on between run_period.period_start and run_period.period_end
        and (
            flagged_closings.is_orphan
            or flagged_closings.occurred_at < flagged_closings.received_at
        )
),

-- every resolution of a received dossier after its first one
duplicate_resolutions as (
    select
        'dossier' as stream,
        'duplicate_resolution' as finding,
        resolutions.portal_id,
        resolutions.event_id
    from (
        select
            flagged_closings.*,
            row_number() over (
                partition by flagged_closings.dossier_id
                order by flagged_closings.occurred_at, flagged_closings.event_id
            ) as resolution_number
        from flagged_closings
        where
            flagged_closings.resolutions > 1
            and not flagged_closings.is_orphan
            and flagged_closings.event_type = 'resolved'
            and flagged_closings.occurred_at >= flagged_closings.received_at
    ) as resolutions
    cross join run_period
    where
        resolutions.resolution_number > 1
        and resolutions.occurred_on between run_period.period_start and run_period.period_end
),

orphan_question_events as (
    select
        'question' as stream,
        'orphan_question_event' as finding,
        question_events.portal_id,
        question_events.event_id
    from question_events
    where question_events.question_id not in (
            select submitted.question_id from {{ ref('stg_question_events') }} as submitted
            where submitted.event_type = 'submitted'
        )
),

-- events of every stream against the lifetime of the portal they name
stream_events as (
    {% for stream in streams %}
        select
            '{{ stream }}' as stream,
            portal_id,
            event_id,
            occurred_at
        from {{ stream }}_events
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- only portals registered or retired within the window can have events outside their lifetime
lifetimes as (
    select
        portals.portal_id,
        min(portals.registered_at) as registered_at,
        max(portals.retired_at) as retired_at
    from {{ ref('dim_portal') }} as portals
    cross join run_period
    group by portals.portal_id
    having
        min(portals.registered_on) >= any_value(run_period.period_start)
        or max(portals.retired_on) <= any_value(run_period.period_end)
),

outside_lifetime as (
    select
        stream_events.stream,
        case
            when stream_events.occurred_at < lifetimes.registered_at
                then 'event_before_portal_registered'
            else 'event_after_portal_retired'
        end as finding,
        stream_events.portal_id,
        stream_events.event_id
    from stream_events
    inner join lifetimes on stream_events.portal_id = lifetimes.portal_id
    where
        stream_events.occurred_at < lifetimes.registered_at
        or stream_events.occurred_at > lifetimes.retired_at
),

-- the board's assessments for this period of portals that neither appendix 01 nor 01.2 lists
-- (a commune, the provincial portal, a retired one): their points would otherwise go nowhere
listed_portals as (
    select appendix.portal_id
    from {{ ref('appendix_01_information') }} as appendix
    inner join run_period on appendix.period_id = run_period.period_id
    union
    select appendix.portal_id
    from {{ ref('appendix_01_2_not_scored') }} as appendix
    inner join run_period on appendix.period_id = run_period.period_id
),

unapplied_assessments as (
    select
        'assessment' as stream,
        'assessment_not_applied' as finding,
        assessments.portal_id,
        assessments.event_id
    from {{ ref('stg_assessment_events') }} as assessments
    inner join run_period on assessments.period_id = run_period.period_id
    where assessments.portal_id not in (select listed_portals.portal_id from listed_portals)
),

-- portals the rubric's listed agencies name (reference data: the bundled file or a deployment's
-- own) that the registry has never registered: appendices 02 and 03 cannot list them
unknown_listed_portals as (
    select
        'portal' as stream,
        'reference_unknown_portal' as finding,
        listed.portal_id,
        'rubric_listed_agencies.csv: appendix ' || listed.appendix
        || ' from ' || strftime(listed.listed_from, '%Y-%m-%d') as event_id
    from {{ ref('rubric_listed_agencies') }} as listed
    cross join run_period
    where
        listed.listed_from <= run_period.period_end
        and listed.portal_id not in (
            select portals.portal_id from {{ ref('dim_portal') }} as portals
        )
),

-- EVENTS.md 1.1: a registration claims a predecessor whose own retirement names other
-- successors (the retirement stands); listed while the claim is in force
lineage_disagreements as (
    select
        'portal' as stream,
        'lineage_disagreement' as finding,
        lineage.successor_portal_id as portal_id,
        events.event_id
    from {{ ref('portal_lineage') }} as lineage
    cross join run_period
    inner join {{ ref('stg_portal_events') }} as events
        on
            lineage.successor_portal_id = events.portal_id
            and events.event_type = 'registered'
            and list_contains(events.predecessor_portal_ids, lineage.predecessor_portal_id)
    where not lineage.is_agreed and lineage.effective_on <= run_period.period_end
),

-- v1.1: a channel's flow whose window straddles the period's start or end is left out of
-- channel_metrics (never prorated): reported here, by the standing measurement's event
channel_straddles as (
    select
        'channel' as stream,
        'channel_window_straddles_period' as finding,
        measurements.portal_id,
        measurements.event_id
    from {{ ref('int_channel_measurements') }} as measurements
    cross join run_period
    where
        measurements.kind = 'flow'
        and (
            (
                measurements.window_start < run_period.period_start
                and measurements.window_end >= run_period.period_start
            )
            or (
                measurements.window_start <= run_period.period_end
                and measurements.window_end > run_period.period_end
            )
        )
),

findings as (
    select * from orphan_resolutions
    union all
    select * from duplicate_resolutions
    union all
    select * from orphan_question_events
    union all
    select * from outside_lifetime
    union all
    select * from unapplied_assessments
    union all
    select * from lineage_disagreements
    union all
    select * from unknown_listed_portals
    union all
    select * from channel_straddles
)

select
    run_period.period_id,
    run_period.period_start,
    run_period.period_end,
    findings.stream,
    findings.finding,
    findings.portal_id,
    count(*) as count,
    list(findings.event_id order by findings.event_id)[1:5] as example_ids
from findings
cross join run_period
group by all
