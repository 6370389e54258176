/*
description: >
  Số hóa hồ sơ và kết quả giải quyết TTHC: dossiers received in the period whose components
  had to be digitized, and how many were; results issued in the period (dossiers resolved)
  and how many were issued as electronic documents (criterion 7.2.4 of the PAR index).
grain: one row per period and unit, plus one per period and level and one per period for the whole deployment
primary_key: [period_key, unit_code]
published_by_year: period_end
columns:
  dossiers_requiring_digitization: Received in the period with components to digitize
  dossiers_digitized: Of those, digitized
  dossier_digitization_rate: dossiers_digitized / dossiers_requiring_digitization, a fraction
  results_total: Results issued in the period (dossiers resolved)
  results_digitized: Of those, issued as electronic documents
  result_digitization_rate: results_digitized / results_total, a fraction
shared_tests: [by_period_and_unit]
tests:
  - expression: dossiers_digitized <= dossiers_requiring_digitization and results_digitized <= results_total
    name: digitized within their totals
  - expression: coalesce(dossier_digitization_rate, 0) between 0 and 1 and coalesce(result_digitization_rate, 0) between 0 and 1
    name: rates are fractions
*/
with counts as (
    select * from intermediate.int_unit_period_counts
),

final as (
    select
        period_type, period_key, period_start, period_end, scope, level, unit_code, unit_name,
        dossiers_requiring_digitization,
        dossiers_digitized,
        dossiers_digitized / nullif(dossiers_requiring_digitization, 0) as dossier_digitization_rate,
        results_total,
        results_digitized,
        results_digitized / nullif(results_total, 0) as result_digitization_rate
    from counts
)

select * from final
