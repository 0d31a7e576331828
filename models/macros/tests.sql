{# Generic tests the project needs; dbt packages cannot be installed offline. #}

{#- The rows are grouped by a hash of their key first (a number groups faster than texts: the
    posts' replay at 100M events, 9.6M rows, 1.1-1.3 -> 0.8 s), then by the key itself only where
    a hash repeats: equal keys have equal hashes, so no repeat is missed. #}
{% test unique_combination(model, columns) %}
    {%- set key = columns | join(', ') %}
    select {{ key }}, count(*) as n
    from {{ model }}
    where hash({{ key }}) in (
        select hash({{ key }}) from {{ model }}
        group by all
        having count(*) > 1
    )
    group by all
    having count(*) > 1
{% endtest %}

{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}

{#- A model's required columns in one test (one query, one node to run): a row per column that
    holds nulls, with how many. #}
{% test not_null_columns(model, columns) %}
    with nulls as (
        select
        {%- for column in columns %}
            count(*) filter (where {{ column }} is null) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ model }}
    )

    select null_column, null_rows
    from (unpivot nulls on columns(*) into name null_column value null_rows)
    where null_rows > 0
{% endtest %}
