/*
description: >
  The dossier counts of Biểu 06 and of the other dossier indicators, for each period and each
  unit that had dossiers in it (int_unit_period_counts adds the units without any, the portal's
  events and the roll-ups).
grain: one row per period and unit with dossiers to process in it
primary_key: [period_key, unit_code]
# Parted by period: a night builds again only the periods its changed dossiers count in, before
# or after their change, and the periods whose window changed (a new month, or the running ones
# seen a day longer). The rest is what a build from scratch gives; test/pipelines/incremental.test.ts
# compares the two.
materialized: incremental
incremental:
  from: intermediate.int_dossiers_classified
  partition_by: period_key
  partitions: intermediate.int_periods
columns:
  unit_code: Receiving unit
*/
select
    period_key,
    unit_code,
    count(*) filter (where is_received and is_online) as received_online,
    count(*) filter (where is_received and not is_online) as received_direct,
    count(*) filter (where is_carried_over) as carried_over,
    count(*) filter (where resolution = 'early') as resolved_early,
    count(*) filter (where resolution = 'on_time') as resolved_on_time,
    count(*) filter (where resolution = 'late') as resolved_late,
    count(*) filter (where is_in_progress and not is_overdue) as in_progress_within,
    count(*) filter (where is_overdue) as in_progress_overdue,
    count(*) filter (where is_stopped) as stopped_total,
    count(*) filter (where is_received and has_digitized_components is not null) as dossiers_requiring_digitization,
    count(*) filter (where is_received and has_digitized_components) as dossiers_digitized,
    count(*) filter (where resolution is not null) as results_total,
    count(*) filter (where resolution is not null and result_digitized) as results_digitized,
    count(*) filter (where is_received and is_online_procedure) as dossiers_of_online_procedures,
    count(*) filter (where is_received and is_online_procedure and is_online) as dossiers_online,
    count(*) filter (where is_received and not is_procedure_placed) as dossiers_procedure_unplaced,
    count(*) filter (where is_received and is_online and has_fee) as online_dossiers_with_fee,
    count(*) filter (where is_received and is_online and has_fee and is_paid_online) as online_paid
from intermediate.int_dossier_periods
group by period_key, unit_code
