-- The editorial board's verdicts (EVENTS.md, stream `assessment`): the latest event per portal,
-- period and criterion stands, the earlier ones are its history. The note is the board's words,
-- with the points they carry when the words do not say them.
select
    portal_id,
    period_id,
    criterion,
    points,
    occurred_at as assessed_at,
    concat_ws(
        ' ',
        nullif(rtrim(trim(note), '.'), ''),
        case
            when points < 0 and coalesce(note, '') not ilike '%trừ%'
                then '(trừ ' || {{ vi_points('-points') }} || ' điểm)'
            when points > 0 and coalesce(note, '') not ilike '%cộng%'
                then '(cộng ' || {{ vi_points('points') }} || ' điểm)'
        end
    ) as note
from {{ ref('stg_assessment_events') }}
qualify row_number() over (
        partition by portal_id, period_id, criterion order by occurred_at desc, event_id desc
    ) = 1
