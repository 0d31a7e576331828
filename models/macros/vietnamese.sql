{# How the report writes numbers in its Vietnamese notes: `180.326`, `54,5`, `98,1%`, `07/16`. #}

{# An integer with '.' grouping thousands. #}
{% macro vi_integer(value) -%}
    replace(format('{:,}', ({{ value }})::bigint), ',', '.')
{%- endmacro %}

{# A score: whole points without decimals (50), half points with a comma (54,5). #}
{% macro vi_points(value) -%}
    case
        when ({{ value }}) = round({{ value }}) then (({{ value }})::bigint)::varchar
        else replace(format('{:.1f}', ({{ value }})::double), '.', ',')
    end
{%- endmacro %}

{# A fraction as a percentage with one decimal: 0.981 -> 98,1%. #}
{% macro vi_percent(rate) -%}
    replace(format('{:.1f}', 100 * ({{ rate }})::double), '.', ',') || '%'
{%- endmacro %}

{# A count the way the report counts portals and questions: 01, 07, 16, 123. #}
{% macro vi_count(value) -%}
    lpad(({{ value }})::varchar, 2, '0')
{%- endmacro %}
