/*
description: >
  Thanh toán trực tuyến: dossiers received online in the period that carry a financial
  obligation (a fee in the one-stop-shop system or a payment on the portal), and how many were
  paid online (flagged so by either system). The 2024 target is at least 50 %.
grain: one row per period and unit, plus one per period and level and one per period for the whole deployment
primary_key: [period_key, unit_code]
published_by_year: period_end
columns:
  online_dossiers_with_fee: Received online in the period with a financial obligation
  online_paid: Of those, paid online
  online_payment_rate: online_paid / online_dossiers_with_fee, a fraction
shared_tests: [by_period_and_unit]
tests:
  - expression: online_paid <= online_dossiers_with_fee
    name: paid online within the online dossiers with a fee
*/
with counts as (
    select * from intermediate.int_unit_period_counts
),

final as (
    select
        period_type, period_key, period_start, period_end, scope, level, unit_code, unit_name,
        online_dossiers_with_fee,
        online_paid,
        online_paid / nullif(online_dossiers_with_fee, 0) as online_payment_rate
    from counts
)

select * from final
