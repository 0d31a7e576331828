{#
    A model's schema is its folder (`staging`, `intermediate`, `marts`): the folders are the
    model-paths, so dbt_project.yml cannot configure them by folder. Seeds keep their `+schema`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name -%}
        {{ custom_schema_name | trim }}
    {%- elif node.resource_type == 'model' -%}
        {{ node.original_file_path.split('/')[0] }}
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}
