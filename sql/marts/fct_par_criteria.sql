/*
description: >
  Tiêu chí Chỉ số CCHC (PAR index) of the deployment: the criteria published in the report with their
  points, next to the criteria that follow from the data, scored with the thresholds of the
  config (par_criteria, e.g. 7.2.4: result digitization ≥ 50 % scores 0.5, ≥ 80 % scores 1).
grain: one row per year and criterion, for the whole deployment
primary_key: [period_key, criterion_code]
published_by_year: period_end
columns:
  period_type: year
  period_key: The year assessed
  period_start: First day of the year
  period_end: Last day of the year
  scope: total
  level: Always empty (NULL)
  unit_code: The deployment (DH)
  unit_name: Its name
  criterion_code: Tiêu chí or tiêu chí thành phần, e.g. 7.2.4
  criterion_name: Its name, as published
  max_points: Points the criterion is worth
  published_points: Points the province gave; NULL when the report does not say
  measure: The measure of the data it is scored on; NULL when it does not follow from the data
  measured_value: That measure for the year, deployment-wide (a fraction)
  computed_points: Points the measure earns under the thresholds of the config; years are scored once they are over
  thresholds: The thresholds, as text
  matches_published: computed_points equals published_points; NULL when either is missing
tests:
  - expression: computed_points is null or computed_points <= max_points
    name: computed points within the criterion's maximum
*/
with published as (
    select
        year::integer as year,
        criterion_code,
        max_points::double as max_points,
        published_points::double as published_points
    from seeds.par_criteria_published
    where unit_code = deployment_code()
),

-- Names do not depend on the year: the latest published name of each criterion.
criterion_names as (
    select criterion_code, arg_max(criterion_name, year::integer) as criterion_name
    from seeds.par_criteria_published
    group by criterion_code
),

complete_years as (
    select period_key::integer as year from marts.dim_period where period_type = 'year' and is_complete
),

criteria as (
    select criterion_code, measure from settings.par_criteria
),

thresholds as (
    select
        criterion_code,
        string_agg('≥ ' || round(at_least * 100, 1) || ' %: ' || points, '; ' order by at_least) as thresholds,
        max(points) as max_points
    from settings.par_thresholds
    group by criterion_code
),

totals as (
    select period_key::integer as year, * exclude (period_key)
    from marts.fct_tthc_resolution
    where period_type = 'year' and scope = 'total'
),

measures as (
    select period_key::integer as year, 'result_digitization_rate' as measure, result_digitization_rate as value
    from marts.fct_digitization where period_type = 'year' and scope = 'total'
    union all
    select period_key::integer, 'dossier_digitization_rate', dossier_digitization_rate
    from marts.fct_digitization where period_type = 'year' and scope = 'total'
    union all
    select period_key::integer, 'online_rate', online_rate
    from marts.fct_online_service where period_type = 'year' and scope = 'total'
    union all
    select period_key::integer, 'online_payment_rate', online_payment_rate
    from marts.fct_online_payment where period_type = 'year' and scope = 'total'
    union all
    select year, 'on_time_rate', on_time_rate from totals
    union all
    select period_key::integer, 'satisfaction_rate', satisfaction_rate
    from marts.fct_feedback_satisfaction where period_type = 'year' and scope = 'total'
    union all
    select period_key::integer, case item_key
            when 'revenue_total' then 'revenue_execution_rate'
            when 'expenditure_total' then 'expenditure_execution_rate'
            else 'capital_execution_rate'
        end,
        execution_rate
    from marts.fct_budget_execution
    where period_type = 'year' and item_key in ('revenue_total', 'expenditure_total', 'expenditure_capital')
),

scored as (
    select
        m.year,
        c.criterion_code,
        c.measure,
        m.value as measured_value,
        case when m.value is not null then coalesce((
            select max(t.points) from settings.par_thresholds as t
            where t.criterion_code = c.criterion_code and m.value >= t.at_least
        ), 0) end as computed_points
    from criteria as c
    inner join measures as m using (measure)
    -- A year is scored once it is over.
    where m.year in (select year from complete_years)
),

criteria_years as (
    select
        coalesce(p.year, s.year) as year,
        coalesce(p.criterion_code, s.criterion_code) as criterion_code,
        n.criterion_name,
        coalesce(p.max_points, t.max_points) as max_points,
        p.published_points,
        s.measure,
        s.measured_value,
        s.computed_points,
        t.thresholds
    from published as p
    full outer join scored as s on s.year = p.year and s.criterion_code = p.criterion_code
    left join thresholds as t on t.criterion_code = coalesce(p.criterion_code, s.criterion_code)
    left join criterion_names as n on n.criterion_code = coalesce(p.criterion_code, s.criterion_code)
),

final as (
    select
        'year' as period_type,
        c.year::varchar as period_key,
        make_date(c.year, 1, 1) as period_start,
        make_date(c.year, 12, 31) as period_end,
        'total' as scope,
        null::varchar as level,
        deployment_code() as unit_code,
        deployment_name() as unit_name,
        c.criterion_code,
        c.criterion_name,
        c.max_points,
        c.published_points,
        c.measure,
        c.measured_value,
        c.computed_points,
        c.thresholds,
        c.computed_points = c.published_points as matches_published
    from criteria_years as c
)

select * from final
