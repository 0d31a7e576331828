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

{# A list of names the way a sentence lists them: "A", "A và B", "A, B và C". #}
{% macro vi_list(names) -%}
    case
        when len({{ names }}) = 1 then list_extract({{ names }}, 1)
        else
            array_to_string(list_slice({{ names }}, 1, -2), ', ')
            || ' và ' || list_extract({{ names }}, -1)
    end
{%- endmacro %}

{# A local date as the report writes it: 01/07/2025. #}
{% macro vi_date(day) -%}
    strftime({{ day }}, '%d/%m/%Y')
{%- endmacro %}
