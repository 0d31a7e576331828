{#
    The latest ingest an incremental replay has seen (its rows' `last_ingested_at`): the events
    ingested after it are new. Every event is new when the table holds none (it was first built
    before any came: a deployment whose dossiers or posts come later), or when it was built by a
    version that did not keep the column (it is then replayed whole, once).
#}
{% macro incremental_watermark() -%}
    {#- only a run asks the warehouse (not dbt's parse, not the SQL linter) -#}
    {%- if not execute or 'last_ingested_at' in (
        adapter.get_columns_in_relation(this) | map(attribute='name') | list
    ) -%}
        coalesce(
            (select max(built.last_ingested_at) from {{ this }} as built),
            '-infinity'::timestamptz
        )
    {%- else -%}
        '-infinity'::timestamptz
    {%- endif -%}
{%- endmacro %}
