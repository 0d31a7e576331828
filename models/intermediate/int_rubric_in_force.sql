{{ config(tags=['period']) }}
-- The rubric's parameters in force on the run period's last day, one row per bloc: a change in
-- the seed `rubric_parameters` applies from its effective date on, so an older period keeps the
-- values of its own time. A bloc's own value wins over the one for `all`.
{% set parameters = [
    'information_scale', 'information_bonus_max', 'information_missing_deduction',
    'information_sparse_deduction', 'information_min_items_per_month',
    'qa_accept_working_days', 'qa_answer_working_days', 'qa_score_base', 'qa_score_none',
    'qa_score_all_late', 'qa_on_time_bonus', 'qa_volume_bonus', 'qa_volume_min_per_month',
    'dossier_score_none',
] %}
with

run_period as (
    select * from {{ ref('int_run_period') }}
),

in_force as (
    select
        rubric.parameter,
        rubric.bloc,
        rubric.value
    from {{ ref('rubric_parameters') }} as rubric
    cross join run_period
    where rubric.effective_from <= run_period.period_end
    qualify row_number() over (
            partition by rubric.parameter, rubric.bloc order by rubric.effective_from desc
        ) = 1
),

blocs (bloc) as (
    values ('government'), ('party')
),

by_bloc as (
    select
        run_period.period_id,
        blocs.bloc,
    {% for name in parameters %}
        coalesce(
            max(in_force.value) filter (
                where in_force.parameter = '{{ name }}' and in_force.bloc = blocs.bloc
            ),
            max(in_force.value) filter (
                where in_force.parameter = '{{ name }}' and in_force.bloc = 'all'
            )
        ) as {{ name }}{{ ',' if not loop.last }}
    {% endfor %}
    from blocs
    cross join run_period
    left join in_force on in_force.bloc in (blocs.bloc, 'all')
    group by run_period.period_id, blocs.bloc
)

select
    *,
    information_scale + information_bonus_max as information_ceiling,
    qa_score_base + qa_on_time_bonus + qa_volume_bonus as qa_max
from by_bloc
