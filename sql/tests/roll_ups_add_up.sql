/*
description: >
  Each level roll-up is the sum of the units of that level, for every count of
  int_unit_period_counts.
severity: error
*/
with counts as (
    select
        period_key,
        scope,
        level,
        received_online + received_direct + carried_over + resolved_early + resolved_on_time + resolved_late
            + in_progress_within + in_progress_overdue + stopped_total + dossiers_requiring_digitization
            + dossiers_digitized + results_total + results_digitized + dossiers_of_online_procedures
            + dossiers_online + online_dossiers_with_fee + online_paid + ratings_total + ratings_satisfied
            + feedback_received + feedback_answered + feedback_answered_on_time + accounts_registered as counted
    from intermediate.int_unit_period_counts
),

units as (
    select period_key, level, sum(counted) as units
    from counts
    where scope = 'unit' and level is not null
    group by all
),

roll_ups as (
    select period_key, level, counted as roll_up from counts where scope = 'level'
)

select * from units inner join roll_ups using (period_key, level) where units <> roll_up
