{# The period semantics the appendices share, named once. #}

{#
    The nine cells of "Đã giải quyết": service level (2, 3, 4) x timeliness, as
    (column, level, timeliness); `timeliness` narrows them, e.g. ['early', 'on_time'].
#}
{% macro resolved_cells(timeliness=['early', 'on_time', 'late']) %}
    {% set cells = [] %}
    {% for level in [2, 3, 4] %}
        {% for kind in timeliness %}
            {% do cells.append(('resolved_l' ~ level ~ '_' ~ kind, level, kind)) %}
        {% endfor %}
    {% endfor %}
    {{ return(cells) }}
{% endmacro %}

{# A dossier followed from its receipt takes part in a window while it is open in it. #}
{% macro dossier_open_during(dossiers, window_start, window_end) -%}
    not {{ dossiers }}.is_orphan
    and {{ dossiers }}.received_on <= {{ window_end }}
    and ({{ dossiers }}.closed_on is null or {{ dossiers }}.closed_on >= {{ window_start }})
{%- endmacro %}

{#
    The agencies an appendix lists (MARTS.md): every agency active in the period, and every
    agency in force at the period's end (CTE `portals`) that was active the same period last year,
    itself or through the units whose history it continues (a merged department), or that the
    rubric lists for this appendix. CTE `period_facts` holds the appendix's facts for
    both windows (`period_window`).
#}
{% macro listed_agencies(appendix) %}
    select portal_id from period_facts where period_window = 'period'
    union
    select candidates.portal_id
    from (
        select lineage.target_portal_id as portal_id
        from period_facts
        inner join {{ ref('int_lineage_mapping') }} as lineage
            on period_facts.portal_id = lineage.portal_id
        where period_facts.period_window = 'same_period_last_year'
        union
        select listed.portal_id
        from {{ ref('rubric_listed_agencies') }} as listed
        cross join run_period
        where listed.appendix = '{{ appendix }}' and listed.listed_from <= run_period.period_end
    ) as candidates
    inner join portals on candidates.portal_id = portals.portal_id
    where portals.is_in_force
{% endmacro %}

{#
    The figures of int_portal_figures that add up across units (and so can be restated onto
    today's units with a lineage share): posts, questions and dossiers counts.
#}
{% macro summary_sums() %}
    {{ return([
        'posts', 'posts_articles', 'posts_data_items', 'posts_english',
        'questions_total', 'questions_eligible', 'questions_answered', 'questions_waiting',
        'questions_deleted', 'questions_late', 'questions_rated', 'questions_rating_sum',
        'questions_deleted_duplicate', 'questions_deleted_violation',
        'questions_deleted_forwarded', 'questions_deleted_invalid_asker',
        'questions_deleted_other',
        'dossiers_total', 'dossiers_carried_over', 'dossiers_counter', 'dossiers_online',
        'dossiers_resolved', 'dossiers_resolved_on_time', 'dossiers_late', 'dossiers_withdrawn',
        'dossiers_in_progress',
    ]) }}
{% endmacro %}
