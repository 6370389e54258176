/*
description: >
  Every figure of the reference report (sql/seeds/published_figures.csv) next to the figure the
  warehouse derives: match when they agree to the precision the report prints them with,
  mismatch when they do not, inconsistent_in_source for the figures of the report that
  contradict each other and cannot all hold in any data, with the reason. Empty unless the
  config asks for the comparison (reporting.reconcile_published_figures).
grain: one row per published figure and measure
primary_key: [figure_id, measure, unit_code]
columns:
  figure_id: Id of the figure (D1 … B4), as in the domain notes
  measure: The column of the mart it is compared with
  description: What the report says it is
  period_key: The period
  unit_code: The unit or roll-up
  item_key: The budget line, for budget figures
  mart: The mart the derived figure comes from
  published_value: The figure as the report prints it (budget amounts in millions of đồng)
  derived_value: The figure the warehouse derives
  difference: derived_value - published_value
  precision: The unit of the last printed digit of the published figure
  rounding: How the report printed it, nearest (rounded) or down (cut); they match when the derived figure prints the same
  status: match, mismatch or inconsistent_in_source
  reason: Why a figure is inconsistent or differs, or a note on how it was read
tests:
  - accepted_values: { column: status, values: [match, mismatch, inconsistent_in_source] }
*/
with figures as (
    select
        figure_id, measure, description,
        nullif(period_key, '') as period_key,
        nullif(unit_code, '') as unit_code,
        nullif(item_key, '') as item_key,
        mart,
        published_value::double as published_value,
        precision::double as precision,
        rounding,
        status,
        nullif(reason, '') as reason
    from seeds.published_figures
    -- The reference report is one deployment's (Đồng Hới's): another compares nothing with it.
    where reporting_setting('reconcile_published_figures') = 'true'
),

-- Every measure of the fact marts, by name: the columns besides the shared ones. The marts are
-- stacked by column name (a measure one mart lacks is NULL there, and UNPIVOT leaves it out).
fact_rows as (
    select 'fct_tthc_resolution' as mart, * from marts.fct_tthc_resolution
    union all by name
    select 'fct_digitization' as mart, * from marts.fct_digitization
    union all by name
    select 'fct_online_service' as mart, * from marts.fct_online_service
    union all by name
    select 'fct_online_payment' as mart, * from marts.fct_online_payment
    union all by name
    select 'fct_feedback_satisfaction' as mart, * from marts.fct_feedback_satisfaction
),

dossier_measures as (
    unpivot (
        select mart, period_key, unit_code, columns(* exclude (mart, period_type, period_key, period_start, period_end, scope, level, unit_code, unit_name))::double
        from fact_rows
    )
    on columns(* exclude (mart, period_key, unit_code)) into name measure value value
),

budget_measures as (
    unpivot (
        select 'fct_budget_execution' as mart, period_key, unit_code, item_key,
            estimate_mvnd, actual_cumulative_mvnd, actual_period_mvnd, execution_rate
        from marts.fct_budget_execution
        where item_key is not null
    )
    on estimate_mvnd, actual_cumulative_mvnd, actual_period_mvnd, execution_rate into name measure value value
),

-- The catalogue has no period: procedures in force for the deployment, and for each level's roll-up.
procedure_measures as (
    select 'dim_procedure' as mart, null::varchar as period_key, u.unit_code, null::varchar as item_key,
        'procedures_in_force' as measure, count(*)::double as value
    from marts.dim_procedure as p
    inner join marts.dim_unit as u on u.unit_code = deployment_code() or (u.is_rollup and u.level = p.level)
    where p.is_in_force
    group by u.unit_code
),

derived as (
    select mart, period_key, unit_code, null::varchar as item_key, measure, value from dossier_measures
    union all
    select mart, period_key, unit_code, item_key, measure, value from budget_measures
    union all
    select mart, period_key, unit_code, item_key, measure, value from procedure_measures
),

compared as (
    select
        f.*,
        d.value as derived_value,
        d.value - f.published_value as difference,
        -- Printed with the report's precision, the derived figure reads as the published one.
        case f.rounding
            when 'down' then d.value >= f.published_value and d.value < f.published_value + f.precision
            else abs(d.value - f.published_value) <= f.precision / 2
        end as prints_the_same
    from figures as f
    left join derived as d
        on d.mart = f.mart
        and d.measure = f.measure
        and d.period_key is not distinct from f.period_key
        and d.unit_code is not distinct from f.unit_code
        and d.item_key is not distinct from f.item_key
),

final as (
    select
        figure_id, measure, description, period_key, unit_code, item_key, mart,
        published_value, derived_value, difference, precision, rounding,
        case
            when status = 'inconsistent' then 'inconsistent_in_source'
            when prints_the_same then 'match'
            else 'mismatch'
        end as status,
        case
            when status = 'inconsistent' or prints_the_same then reason
            when derived_value is null then 'the warehouse derives no value: the period, unit or line is not in the data, or a rate has nothing to divide by'
            else 'differs by ' || difference || ': printed to ' || precision || ', it would not read the same'
        end as reason
    from compared
)

select * from final
