{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period_id',
        tags=['period'],
    )
}}
-- Each unit in force at the period's end (and each unit active in the period but retired by its
-- end) with its posts, questions and dossiers, compared with the same period last year and the
-- period just before two ways (EVENTS.md 1.1): as reported by the units of the time, and
-- restated on today's units (a merger sums its predecessors, a split's part takes its share, a
-- split without shares is not restated: null). `lineage_note` says so in Vietnamese.
{% set compared = [
    ('posts', ['same_period_last_year', 'previous_period']),
    ('questions_total', ['same_period_last_year']),
    ('dossiers_total', ['same_period_last_year']),
] %}
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

figures as (
    select * from {{ ref('int_portal_figures') }}
),

portals as (
    select * from {{ ref('int_portal_at_period_end') }}
),

mapping as (
    select * from {{ ref('int_lineage_mapping') }}
),

this_period as (
    select * from figures
    where period_window = 'period'
),

restated as (
    -- today's unit's earlier figures: its own and its predecessors' shares of theirs
    select
        {% for column, _ in compared %}
            case
                when bool_and(mapping.share is not null)
                    then round(sum(figures.{{ column }} * mapping.share))::bigint
            end as {{ column }},
        {% endfor %}
        mapping.target_portal_id as portal_id,
        figures.period_window
    from mapping
    inner join figures on mapping.portal_id = figures.portal_id
    -- a unit closed before the window (an old split) has nothing there to restate
    where figures.period_window != 'period' and figures.is_open
    group by mapping.target_portal_id, figures.period_window
),

carried_in as (
    -- each unit whose history a unit of today carries into the compared windows (not an old
    -- split, long closed), named as a note names it: with its share when it gave a part
    select
        mapping.*,
        ancestors.name,
        case
            when mapping.share is null or mapping.share = 1 then ancestors.name
            else ancestors.name || ' (' || {{ vi_percent('mapping.share') }} || ')'
        end as labelled_name,
        last_year.posts as posts_last_year,
        last_year.questions_total as questions_last_year,
        last_year.dossiers_total as dossiers_last_year,
        previous_period.posts as posts_previous_period
    from mapping
    inner join portals as ancestors on mapping.portal_id = ancestors.portal_id
    left join figures as last_year
        on
            mapping.portal_id = last_year.portal_id
            and last_year.period_window = 'same_period_last_year'
    left join figures as previous_period
        on
            mapping.portal_id = previous_period.portal_id
            and previous_period.period_window = 'previous_period'
    where not mapping.is_self and (last_year.is_open or previous_period.is_open)
),

predecessors as (
    select
        target_portal_id as portal_id,
        list(portal_id order by portal_id) as predecessor_portal_ids,
        -- one name once: a merged unit may bear the name of one it continues
        list(distinct labelled_name order by labelled_name collate vi) filter (
            where share is not null
        ) as restated_names,
        min(share) as smallest_share,
        list(
            name || ' (cùng kỳ '
            || {{ vi_integer('coalesce(posts_last_year, 0)') }} || ' tin, bài, '
            || {{ vi_integer('coalesce(questions_last_year, 0)') }} || ' câu hỏi, '
            || {{ vi_integer('coalesce(dossiers_last_year, 0)') }} || ' hồ sơ; kỳ trước '
            || {{ vi_integer('coalesce(posts_previous_period, 0)') }} || ' tin, bài)'
            order by name collate vi
        ) filter (where share is null) as unrestated,
        max(effective_on) as effective_on
    from carried_in
    group by target_portal_id
),

renames as (
    -- the same id under another name at the end of last year's window
    select
        last_year.portal_id,
        last_year.portal_name as former_name
    from figures as last_year
    inner join portals on last_year.portal_id = portals.portal_id
    where
        last_year.period_window = 'same_period_last_year'
        and last_year.portal_name != portals.name
),

successors as (
    select
        retired.portal_id,
        list(successor.name order by successor.name collate vi) as successor_names
    from portals as retired,
        unnest(retired.successor_portal_ids) as named (successor_portal_id)
    inner join portals as successor on named.successor_portal_id = successor.portal_id
    group by retired.portal_id
),

group_labels as (
    -- the registry groups' Vietnamese names, as the reference data has them now
    select
        portal_group,
        arg_max(label_vi, effective_from) as label_vi
    from {{ ref('portal_groups') }}
    group by portal_group
),

units as (
    select
        portals.*,
        this_period.posts,
        this_period.questions_total,
        this_period.dossiers_total,
        this_period.provides_english
    from portals
    inner join this_period on portals.portal_id = this_period.portal_id
    where
        portals.is_in_force
        or this_period.posts + this_period.questions_total + this_period.dossiers_total > 0
),

noted as (
    select
        run_period.period_id,
        run_period.period_start,
        run_period.period_end,
        units.portal_id,
        units.name as portal_name,
        units.portal_group,
        groups.label_vi as portal_group_label,
        units.reporting_group,
        units.is_in_force,
        units.registered_on,
        units.retired_on,
        run_period.previous_year_start as same_period_start,
        run_period.previous_year_end as same_period_end,
        run_period.previous_period_start,
        run_period.previous_period_end,
        units.posts,
        {% for column, windows in compared %}
            {% if column != 'posts' %}units.{{ column }},{% endif %}
            {% for window in windows %}
                case
                -- a retired unit keeps its own figures; a split without shares has none
                    when not units.is_in_force then {{ window }}_as_reported.{{ column }}
                    when predecessors.unrestated is null then coalesce({{ window }}.{{ column }}, 0)
                end as {{ column }}_{{ window }},
                {{ window }}_as_reported.{{ column }} as {{ column }}_{{ window }}_as_reported,
            {% endfor %}
        {% endfor %}
        units.provides_english,
        predecessors.predecessor_portal_ids,
        units.successor_portal_ids,
        predecessors.unrestated is null as is_restatable,
        concat_ws(
            '; ',
            case
                when len(predecessors.restated_names) = 1
                    and units.registered_on >= predecessors.effective_on
                    and predecessors.smallest_share = 1
                    then
                        'Kế thừa ' || predecessors.restated_names[1] || ' từ '
                        || {{ vi_date('predecessors.effective_on') }}
                        || ', cùng kỳ là số liệu của đơn vị trước'
                when len(predecessors.restated_names) = 1
                    and units.registered_on >= predecessors.effective_on
                    then
                        'Tiếp nhận một phần của ' || predecessors.restated_names[1] || ' từ '
                        || {{ vi_date('predecessors.effective_on') }}
                        || ', cùng kỳ là phần số liệu tương ứng của đơn vị trước'
                when len(predecessors.restated_names) > 0
                    then
                        'Hợp nhất từ '
                        || {{ vi_list(
                        "case when units.registered_on < predecessors.effective_on"
                        ~ " and not list_contains(predecessors.restated_names, units.name)"
                        ~ " then list_prepend(units.name, predecessors.restated_names)"
                        ~ " else predecessors.restated_names end"
                    ) }}
                        || ' từ ' || {{ vi_date('predecessors.effective_on') }}
                        || '; cùng kỳ là tổng của các đơn vị trước hợp nhất'
            end,
            case
                when predecessors.unrestated is not null
                    then
                        'Tiếp nhận một phần của ' || {{ vi_list('predecessors.unrestated') }}
                        || ' từ ' || {{ vi_date('predecessors.effective_on') }}
                        || '; chưa có tỷ lệ phân chia nên số liệu so sánh không điều chỉnh'
            end,
            case
                when renames.former_name is not null
                    then 'Trước đây là ' || renames.former_name
            end,
            case
                when not units.is_in_force and len(successors.successor_names) = 1
                    then
                        'Đã hợp nhất vào ' || successors.successor_names[1] || ' từ '
                        || {{ vi_date('units.retired_on') }}
                when not units.is_in_force and len(successors.successor_names) > 1
                    then
                        'Đã chia tách, sắp xếp vào ' || {{ vi_list('successors.successor_names') }}
                        || ' từ ' || {{ vi_date('units.retired_on') }}
                when not units.is_in_force
                    then 'Ngừng hoạt động từ ' || {{ vi_date('units.retired_on') }}
            end
        ) as lineage_note
    from units
    cross join run_period
    left join restated as same_period_last_year
        on
            units.portal_id = same_period_last_year.portal_id
            and same_period_last_year.period_window = 'same_period_last_year'
    left join restated as previous_period
        on
            units.portal_id = previous_period.portal_id
            and previous_period.period_window = 'previous_period'
    left join figures as same_period_last_year_as_reported
        on
            units.portal_id = same_period_last_year_as_reported.portal_id
            and same_period_last_year_as_reported.period_window = 'same_period_last_year'
    left join figures as previous_period_as_reported
        on
            units.portal_id = previous_period_as_reported.portal_id
            and previous_period_as_reported.period_window = 'previous_period'
    left join predecessors on units.portal_id = predecessors.portal_id
    left join renames on units.portal_id = renames.portal_id
    left join successors on units.portal_id = successors.portal_id
    left join group_labels as groups on units.portal_group = groups.portal_group
)

-- no reorganisation to tell: null rather than an empty text
select noted.* replace (nullif(noted.lineage_note, '') as lineage_note)
from noted
