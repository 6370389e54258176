/*
description: >
  The dashboard's main table: for each quarter and unit (and the level roll-ups and the whole
  deployment), the headline indicators of every source side by side, the budget execution for
  the whole deployment, and the targets of the year where the deployment sets them.
grain: one row per quarter and unit, plus one per quarter and level and one per quarter for the whole deployment
primary_key: [period_key, unit_code]
published_by_year: period_end
columns:
  period_type: quarter
  period_key: 2024-Q1
  period_start: First day of the reporting window
  period_end: Last day of the reporting window
  scope: total, level or unit
  level: A level of the register; NULL for the total
  unit_code: The unit or roll-up
  unit_name: Its name
  received_total: Dossiers to process (received in the quarter and carried over)
  received_in_period: Received in the quarter
  received_online: Received online in the quarter
  resolved_total: Resolved in the quarter
  resolved_early_or_on_time: Resolved early or on time
  on_time_rate: Early or on time among resolved, a fraction
  in_progress_total: In progress at the end of the quarter
  in_progress_overdue: Of those, overdue
  stopped_total: Withdrawn, refused or stopped in the quarter
  dossier_digitization_rate: Dossiers digitized among those requiring it
  result_digitization_rate: Results issued electronically among results issued
  online_rate: Received online among dossiers of procedures offered online
  online_payment_rate: Paid online among online dossiers with a fee
  feedback_received: Citizen feedback (PAKN) received
  ratings_total: Satisfaction survey forms
  satisfaction_rate: Satisfied or very satisfied among them
  accounts_registered: Portal accounts registered with the unit's help (all of them for the whole deployment)
  revenue_execution_rate: Budget revenue from the start of the year against the estimate (the whole deployment only)
  expenditure_execution_rate: Budget expenditure from the start of the year against the estimate (the whole deployment only)
  target_online_payment_rate: Target of the year for online payment, where set
  target_result_digitization_rate: Target of the year for result digitization, where set
  target_in_progress_overdue: Target of the year for overdue dossiers (at most), where set
tests:
  - accepted_values: { column: period_type, values: [quarter] }
  - relationships: { column: unit_code, to: marts.dim_unit, field: unit_code }
*/
with resolution as (
    select * from marts.fct_tthc_resolution where period_type = 'quarter'
),

digitization as (
    select period_key, unit_code, dossier_digitization_rate, result_digitization_rate from marts.fct_digitization
),

online_service as (
    select period_key, unit_code, online_rate from marts.fct_online_service
),

online_payment as (
    select period_key, unit_code, online_payment_rate from marts.fct_online_payment
),

feedback as (
    select period_key, unit_code, feedback_received, ratings_total, satisfaction_rate from marts.fct_feedback_satisfaction
),

accounts as (
    select period_key, unit_code, accounts_registered from intermediate.int_unit_period_counts
),

budget as (
    select
        period_key,
        unit_code,
        max(execution_rate) filter (where item_key = 'revenue_total') as revenue_execution_rate,
        max(execution_rate) filter (where item_key = 'expenditure_total') as expenditure_execution_rate
    from marts.fct_budget_execution
    where period_type = 'quarter'
    group by period_key, unit_code
),

targets as (
    select
        year::integer as year,
        max(target_value::double) filter (where measure = 'online_payment_rate') as target_online_payment_rate,
        max(target_value::double) filter (where measure = 'result_digitization_rate') as target_result_digitization_rate,
        max(target_value::double) filter (where measure = 'in_progress_overdue') as target_in_progress_overdue
    from seeds.targets
    group by year
),

final as (
    select
        r.period_type, r.period_key, r.period_start, r.period_end, r.scope, r.level, r.unit_code, r.unit_name,
        r.received_total,
        r.received_in_period,
        r.received_online,
        r.resolved_total,
        r.resolved_early_or_on_time,
        r.on_time_rate,
        r.in_progress_total,
        r.in_progress_overdue,
        r.stopped_total,
        d.dossier_digitization_rate,
        d.result_digitization_rate,
        o.online_rate,
        p.online_payment_rate,
        f.feedback_received,
        f.ratings_total,
        f.satisfaction_rate,
        a.accounts_registered,
        b.revenue_execution_rate,
        b.expenditure_execution_rate,
        t.target_online_payment_rate,
        t.target_result_digitization_rate,
        t.target_in_progress_overdue
    from resolution as r
    left join digitization as d using (period_key, unit_code)
    left join online_service as o using (period_key, unit_code)
    left join online_payment as p using (period_key, unit_code)
    left join feedback as f using (period_key, unit_code)
    left join accounts as a using (period_key, unit_code)
    left join budget as b using (period_key, unit_code)
    left join targets as t on t.year = left(r.period_key, 4)::integer
)

select * from final
