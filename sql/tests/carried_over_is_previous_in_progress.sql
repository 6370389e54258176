/*
description: >
  Biểu 06: what a period carries over is what was in progress at the end of the period of
  the same type just before, for every unit and roll-up; a unit missing on one side counts as 0
  there, so that a unit which ended with open dossiers cannot drop them (1 July 2025).
severity: error
*/
with pairs as (
    select period_key, previous_period_key from marts.dim_period where previous_period_key is not null
),

carried as (
    select f.period_key, f.unit_code, f.carried_over
    from marts.fct_tthc_resolution as f
    inner join pairs using (period_key)
),

open_before as (
    select pairs.period_key, b.unit_code, b.in_progress_total
    from pairs
    inner join marts.fct_tthc_resolution as b on b.period_key = pairs.previous_period_key
)

select
    coalesce(c.period_key, o.period_key) as period_key,
    coalesce(c.unit_code, o.unit_code) as unit_code,
    coalesce(c.carried_over, 0) as carried_over,
    coalesce(o.in_progress_total, 0) as in_progress_before
from carried as c
full outer join open_before as o on o.period_key = c.period_key and o.unit_code = c.unit_code
where coalesce(c.carried_over, 0) <> coalesce(o.in_progress_total, 0)
