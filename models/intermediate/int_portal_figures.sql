{{ config(materialized='view', tags=['period']) }}
-- Each portal's own figures ("as reported") in the windows a report compares: the run's period,
-- the same period last year and the period just before, with its state at each window's end.
-- Restating them on today's units (int_lineage_mapping) is left to the marts that compare.
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

windows as (
    select
        period_window,
        window_start,
        window_end
    from {{ ref('int_run_windows') }}
    union all
    select
        'previous_period' as period_window,
        previous_period_start as window_start,
        previous_period_end as window_end
    from run_period
),

states as (
    -- each portal as it stood at the end of each window (a retired one keeps its last version)
    select
        windows.period_window,
        windows.window_start,
        windows.window_end,
        portals.portal_id,
        portals.name as portal_name,
        portals.portal_group,
        portals.reporting_group,
        portals.registered_on between windows.window_start and windows.window_end as is_new,
        portals.registered_on < windows.window_start as was_established,
        portals.retired_on is null or portals.retired_on > windows.window_end as is_in_force,
        -- retired before the window began: nothing of its history lies in it
        portals.retired_on is null or portals.retired_on >= windows.window_start as is_open
    from {{ ref('dim_portal') }} as portals
    inner join windows
        on portals.valid_from_local < {{ end_of_day('windows.window_end') }}
    qualify row_number() over (
            partition by windows.period_window, portals.portal_id order by portals.valid_from desc
        ) = 1
),

posts as (
    select
        windows.period_window,
        publications.portal_id,
        count(*) as posts,
        count(*) filter (where publications.kind = 'article') as posts_articles,
        count(*) filter (where publications.kind = 'data_item') as posts_data_items,
        count(*) filter (where publications.language = 'en') as posts_english
    from {{ ref('int_post_publications') }} as publications
    inner join windows
        on publications.published_on between windows.window_start and windows.window_end
    group by all
),

english_required as (
    -- Decree 42/2022: the categories required in English, as the window's end has them
    select
        windows.period_window,
        windows.window_end,
        required.category
    from windows
    inner join {{ ref('english_required_categories') }} as required
        on windows.window_end >= required.effective_from
    qualify required.effective_from = max(required.effective_from) over (
            partition by windows.period_window
        )
),

english as (
    -- an English item in every required category, published by the window's end
    select
        required.period_window,
        publications.portal_id
    from english_required as required
    inner join {{ ref('int_post_publications') }} as publications
        on
            required.category = publications.category
            and publications.language = 'en'
            and required.window_end >= publications.published_on
    group by required.period_window, publications.portal_id
    having count(distinct publications.category) = (
            select count(*)
            from english_required as all_required
            where all_required.period_window = required.period_window
        )
),

questions as (
    select
        facts.period_window,
        facts.portal_id,
        facts.total as questions_total,
        facts.eligible as questions_eligible,
        facts.answered as questions_answered,
        facts.waiting_answer + facts.waiting_acceptance as questions_waiting,
        facts.deleted as questions_deleted,
        {% for reason in ['duplicate', 'violation', 'forwarded', 'invalid_asker', 'other'] %}
            facts.deleted_{{ reason }} as questions_deleted_{{ reason }},
        {% endfor %}
        facts.late as questions_late,
        -- the asker's latest rating by the window's end, of the questions submitted in it
        facts.rated as questions_rated,
        facts.rating_sum as questions_rating_sum
    from {{ ref('fct_questions_period') }} as facts
    inner join run_period on facts.period_id = run_period.period_id
),

dossiers as (
    select
        facts.period_window,
        facts.portal_id,
        facts.total as dossiers_total,
        facts.carried_over as dossiers_carried_over,
        facts.received_counter as dossiers_counter,
        facts.received_online as dossiers_online,
        facts.resolved as dossiers_resolved,
        {% for cell, _, _ in resolved_cells(['early', 'on_time']) %}
            facts.{{ cell }}{{ ' +' if not loop.last }}
        {% endfor %} as dossiers_resolved_on_time,
        {% for cell, _, _ in resolved_cells(['late']) %}
            facts.{{ cell }}{{ ' +' if not loop.last }}
        {% endfor %} as dossiers_late,
        facts.withdrawn as dossiers_withdrawn,
        facts.in_progress as dossiers_in_progress
    from {{ ref('fct_dossiers_period') }} as facts
    inner join run_period on facts.period_id = run_period.period_id
)

select
    states.period_window,
    states.window_start,
    states.window_end,
    states.portal_id,
    states.portal_name,
    states.portal_group,
    states.reporting_group,
    states.is_new,
    states.was_established,
    states.is_in_force,
    states.is_open,
    coalesce(posts.posts, 0) > 0 as is_active,
    english.portal_id is not null as provides_english,
    coalesce(posts.posts, 0) as posts,
    coalesce(posts.posts_articles, 0) as posts_articles,
    coalesce(posts.posts_data_items, 0) as posts_data_items,
    coalesce(posts.posts_english, 0) as posts_english,
    coalesce(questions.questions_total, 0) as questions_total,
    coalesce(questions.questions_eligible, 0) as questions_eligible,
    coalesce(questions.questions_answered, 0) as questions_answered,
    coalesce(questions.questions_waiting, 0) as questions_waiting,
    coalesce(questions.questions_deleted, 0) as questions_deleted,
    coalesce(questions.questions_late, 0) as questions_late,
    {% for reason in ['duplicate', 'violation', 'forwarded', 'invalid_asker', 'other'] %}
        coalesce(questions.questions_deleted_{{ reason }}, 0) as questions_deleted_{{ reason }},
    {% endfor %}
    coalesce(questions.questions_rated, 0) as questions_rated,
    coalesce(questions.questions_rating_sum, 0) as questions_rating_sum,
    coalesce(dossiers.dossiers_total, 0) as dossiers_total,
    coalesce(dossiers.dossiers_carried_over, 0) as dossiers_carried_over,
    coalesce(dossiers.dossiers_counter, 0) as dossiers_counter,
    coalesce(dossiers.dossiers_online, 0) as dossiers_online,
    coalesce(dossiers.dossiers_resolved, 0) as dossiers_resolved,
    coalesce(dossiers.dossiers_resolved_on_time, 0) as dossiers_resolved_on_time,
    coalesce(dossiers.dossiers_late, 0) as dossiers_late,
    coalesce(dossiers.dossiers_withdrawn, 0) as dossiers_withdrawn,
    coalesce(dossiers.dossiers_in_progress, 0) as dossiers_in_progress
from states
left join posts
    on states.period_window = posts.period_window and states.portal_id = posts.portal_id
left join english
    on states.period_window = english.period_window and states.portal_id = english.portal_id
left join questions
    on states.period_window = questions.period_window and states.portal_id = questions.portal_id
left join dossiers
    on states.period_window = dossiers.period_window and states.portal_id = dossiers.portal_id
