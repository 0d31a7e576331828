{{ config(materialized='ephemeral', tags=['period']) }}
-- The one period this run computes; a bad period id or cutoff stops the build with its reason.
with

run_period as (
    select * from {{ ref('int_report_periods') }}
    where is_run_period
)

select
    period_id,
    period_start,
    case
        when period_end < period_start or period_end > standard_end
            then error('cutoff ' || period_end || ' is outside period ' || period_id)
        else period_end
    end as period_end,
    is_cut_off,
    previous_year_start,
    previous_year_end,
from run_period
union all
select
    error('unknown report period {{ var("period_id") }}: expected YYYY-Qn, YYYY-H1, YYYY-9M or YYYY-FY'),
    null, null, null, null, null,
where not exists (select 1 from run_period)
