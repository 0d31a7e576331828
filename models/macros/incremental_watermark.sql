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

{#
    The events an incremental replay takes again (`source`'s rows that `where` keeps): the new
    ones, found by their ingest time alone (the newest row groups), and the earlier events of
    the `keys` they touch again, found first by a scan of the history's keys alone. Joined at
    once to the whole history, every key a quarter touches (562k dossiers at 10M events) made a
    hash join that went to disk with every event's columns when dbt's other thread held DuckDB's
    memory (5 of 18 quarter runs: the dossiers' replay 5-13 s at a 2.8 GB peak against 3 s at
    1.4 GB); now a join that spills holds keys (3 of 24: 4-6 s, 1.9 GB). The posts' replay, 10M
    post events and a quarter naming 970k posts, in plain DuckDB: 2.0-2.2 s -> 1.4-1.5 s.
#}
{% macro new_and_touched_again(source, keys, where='true', columns='*') -%}
    {%- set watermark = incremental_watermark() -%}  {#- it asks the warehouse for columns: once -#}
    {%- set key = keys | join(', ') if keys | length == 1 else '(' ~ keys | join(', ') ~ ')' -%}
    select {{ columns }} from {{ source }}
    where {{ where }} and ingested_at > {{ watermark }}
    union all
    select {{ columns }} from {{ source }}
    where
        {{ where }}
        and ingested_at <= {{ watermark }}
        and {{ key }} in (
            select {{ keys | join(', ') }} from {{ source }}
            where
                {{ where }}
                and ingested_at <= {{ watermark }}
                and {{ key }} in (
                    select {{ keys | join(', ') }} from {{ source }}
                    where {{ where }} and ingested_at > {{ watermark }}
                )
        )
{%- endmacro %}
