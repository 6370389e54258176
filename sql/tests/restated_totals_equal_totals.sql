/*
description: >
  The crosswalk loses nothing and makes nothing up: restated under today's units, every period's
  total equals its total, count by count. A unit of the register that ended without successors,
  or whose successors' shares leave a gap, makes its dossiers disappear from the restatement.
*/
with totals as (
    unpivot (
        select period_key, columns(* exclude (period_type, period_key, period_start, period_end, scope, level, unit_code, unit_name, on_time_rate))::double
        from marts.fct_tthc_resolution where scope = 'total'
    ) on columns(* exclude (period_key)) into name measure value counted
),

restated as (
    unpivot (
        select period_key, columns(* exclude (period_type, period_key, period_start, period_end, restated_on, scope, level, unit_code, unit_name, on_time_rate))::double
        from marts.fct_tthc_resolution_restated where scope = 'total'
    ) on columns(* exclude (period_key)) into name measure value restated
)

select period_key, measure, t.counted, r.restated
from totals as t
full outer join restated as r using (period_key, measure)
where abs(coalesce(t.counted, 0) - coalesce(r.restated, 0)) > 1e-6
