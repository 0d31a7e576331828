{# Generic tests the project needs; dbt packages cannot be installed offline. #}

{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ model }}
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
