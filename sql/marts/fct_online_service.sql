/*
description: >
  Áp dụng dịch vụ công trực tuyến: dossiers received in the period for procedures that the
  catalogue offers online (full or partial), and how many of them were submitted online.
  Online dossiers of procedures not offered online do not count here (a data-quality finding).
grain: one row per period and unit, plus one per period and level and one per period for the whole deployment
primary_key: [period_key, unit_code]
published_by_year: period_end
columns:
  dossiers_of_online_procedures: Received in the period for procedures offered online (level 3 or 4)
  dossiers_online: Of those, received online
  online_rate: dossiers_online / dossiers_of_online_procedures, a fraction
  dossiers_procedure_unplaced: Received in the period for a procedure the catalogue does not list (by code, or by name when the export has none), counted neither in dossiers_of_online_procedures nor in the online rate
shared_tests: [by_period_and_unit]
tests:
  - expression: dossiers_online <= dossiers_of_online_procedures
    name: online within the dossiers of online procedures
*/
with counts as (
    select * from intermediate.int_unit_period_counts
),

final as (
    select
        period_type, period_key, period_start, period_end, scope, level, unit_code, unit_name,
        dossiers_of_online_procedures,
        dossiers_online,
        dossiers_online / nullif(dossiers_of_online_procedures, 0) as online_rate,
        dossiers_procedure_unplaced
    from counts
)

select * from final
