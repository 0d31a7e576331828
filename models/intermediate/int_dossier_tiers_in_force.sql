{{ config(tags=['period']) }}
-- Appendix 03's score tiers (seed `rubric_dossier_tiers`) in force on the run period's last day:
-- the tiers are replaced as a whole, so the latest version on or before it, every tier of it.
with

run_period as (
    select * from {{ ref('int_run_period') }}
)

select tiers.*
from {{ ref('rubric_dossier_tiers') }} as tiers
cross join run_period
where tiers.effective_from <= run_period.period_end
qualify tiers.effective_from = max(tiers.effective_from) over ()
