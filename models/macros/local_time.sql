{# Wall-clock time of a TIMESTAMPTZ in the warehouse's time zone (EVENTS.md: local dates). #}
{% macro local_time(column) -%}
    timezone('{{ var("tz") }}', {{ column }})
{%- endmacro %}

{# The first instant after a local date: `< end_of_day(d)` means "on or before d". #}
{% macro end_of_day(date_column) -%}
    ({{ date_column }} + 1)::timestamp
{%- endmacro %}
