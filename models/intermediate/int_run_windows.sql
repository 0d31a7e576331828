{{ config(materialized='view', tags=['period']) }}
-- The windows a run counts in: its period, and the same period last year ("cùng kỳ") that the
-- appendices' listing and the report's summary compare it with.
select
    period_id,
    'period' as period_window,
    period_start as window_start,
    period_end as window_end
from {{ ref('int_run_period') }}

union all

select
    period_id,
    'same_period_last_year' as period_window,
    previous_year_start as window_start,
    previous_year_end as window_end
from {{ ref('int_run_period') }}
