-- The working-day calendar the rubric's deadlines count in: weekdays, less the public holidays
-- and compensatory days off of the seed `public_holidays`, plus its make-up working Saturdays.
with

days as (
    select range::date as day
    from range(date '2000-01-01', date '2100-01-01', interval 1 day)
),

flagged as (
    select
        days.day,
        coalesce(holidays.is_working_day, isodow(days.day) <= 5) as is_working_day,
        holidays.name_vi as holiday_name
    from days
    left join {{ ref('public_holidays') }} as holidays on days.day = holidays.day
),

numbered as (
    select
        *,
        -- a running sum: forty times faster in DuckDB than a filtered count over a row frame
        sum(is_working_day::integer) over (order by day)::bigint as working_day_number
    from flagged
)

select
    day,
    is_working_day,
    holiday_name,
    working_day_number,
    -- the number of the first working day on or after this day, where counting starts
    working_day_number + (not is_working_day)::integer as next_working_day_number
from numbered
