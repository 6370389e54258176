/*
description: >
  The figures of the reference report that the warehouse should reproduce and does not
  (rpt_reconciliation). Reported, not blocking: another city's or another year's data will
  not reproduce this report.
severity: warn
*/
select figure_id, measure, period_key, unit_code, published_value, derived_value, reason
from marts.rpt_reconciliation
where status = 'mismatch'
