/*
description: >
  Biểu 06: what a period carries over is what was in progress at the end of the period of
  the same type just before, for every unit and roll-up.
severity: error
*/
select f.period_key, f.unit_code, f.carried_over, previous.in_progress_total as in_progress_before
from marts.fct_tthc_resolution as f
inner join marts.dim_period as p using (period_key)
inner join marts.fct_tthc_resolution as previous
    on previous.period_key = p.previous_period_key and previous.unit_code = f.unit_code
where f.carried_over <> previous.in_progress_total
