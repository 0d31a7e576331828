{{ config(materialized='view', tags=['period']) }}
-- The one period this run computes (int_report_periods has refused a bad id or cutoff).
select
    period_id,
    period_start,
    period_end,
    is_cut_off,
    previous_year_start,
    previous_year_end,
    previous_period_start,
    previous_period_end
from {{ ref('int_report_periods') }}
where is_run_period
