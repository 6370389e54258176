/*
description: >
  Phản ánh, kiến nghị và mức độ hài lòng: citizen feedback on procedures (PAKN) received in the
  period and how it was answered, and the satisfaction survey forms filled in the period.
grain: one row per period and unit, plus one per period and level and one per period for the whole deployment
primary_key: [period_key, unit_code]
published_by_year: period_end
columns:
  feedback_received: PAKN received in the period
  feedback_answered: Of those, answered
  feedback_answered_on_time: Of those, answered by the due day
  ratings_total: Survey forms filled in the period
  ratings_satisfied: Of those, satisfied or very satisfied
  satisfaction_rate: ratings_satisfied / ratings_total, a fraction
shared_tests: [by_period_and_unit]
tests:
  - expression: feedback_answered_on_time <= feedback_answered and feedback_answered <= feedback_received
    name: answered on time within answered within received
  - expression: ratings_satisfied <= ratings_total
    name: satisfied within the survey forms
*/
with counts as (
    select * from intermediate.int_unit_period_counts
),

final as (
    select
        period_type, period_key, period_start, period_end, scope, level, unit_code, unit_name,
        feedback_received,
        feedback_answered,
        feedback_answered_on_time,
        ratings_total,
        ratings_satisfied,
        ratings_satisfied / nullif(ratings_total, 0) as satisfaction_rate
    from counts
)

select * from final
