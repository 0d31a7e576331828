{# The local date `n` working days after `day` (a day off first rolls to the next working day). #}
{% macro working_days_after(day, n) -%}
    (
        select deadline.day
        from {{ ref('int_working_days') }} as deadline
        where
            deadline.is_working_day
            and deadline.working_day_number = {{ n }} + (
                select start.next_working_day_number
                from {{ ref('int_working_days') }} as start
                where start.day = {{ day }}
            )
    )
{%- endmacro %}
