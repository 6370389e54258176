/*
description: >
  Each level roll-up equals the sum of the units of that level, count by count, for every
  count of int_unit_period_counts.
severity: error
*/
with counts as (
    unpivot (
        select * exclude (period_type, period_start, period_end, unit_code, unit_name)
        from intermediate.int_unit_period_counts
        where level is not null
    )
    on columns(* exclude (period_key, scope, level)) into name measure value counted
),

units as (
    select period_key, level, measure, sum(counted) as units
    from counts
    where scope = 'unit'
    group by all
),

roll_ups as (
    select period_key, level, measure, counted as roll_up from counts where scope = 'level'
)

select *
from units
full outer join roll_ups using (period_key, level, measure)
where units is distinct from roll_up
