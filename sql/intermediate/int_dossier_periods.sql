/*
description: >
  Each dossier in each period where it is to be processed (Biểu 06): received in the period,
  or received before it and not yet closed at its start (carried over). Flags say what
  happened to it in the period. Each such dossier is resolved, stopped or still in progress
  at the end, exactly one of the three, which is what makes the Biểu 06 identities hold.
grain: one row per dossier and period in which it is to be processed
primary_key: [period_key, dossier_id]
# The key holds by construction: an inner join of int_dossiers_classified (dossier_id unique, not
# null) and int_periods (period_key unique, not null), both tested each night; test/sql checks the
# grain. Testing it again would group every dossier of every period each night.
test_primary_key: false
# Several rows per dossier (a period of each type): cheaper to compute from the dossiers than to
# store, in the warehouse and in the snapshot, where it is a view too.
snapshot: view
columns:
  period_type: year, half, quarter or month
  period_key: Period
  dossier_id: Mã hồ sơ
  unit_code: Receiving unit
  level: The level of the receiving unit, a level of the register
  is_received: Received in the period
  is_carried_over: Received before the period, open at its start
  is_online: Received online
  is_procedure_placed: The catalogue lists its procedure
  is_online_procedure: Its procedure is offered online
  resolution: early, on_time or late when resolved in the period (compared as dates with the due date); NULL otherwise
  is_stopped: Withdrawn, refused or stopped in the period
  is_in_progress: Not closed by the end of the period
  is_overdue: In progress at the end and due before the last day of the period (or before the last day of the data, for a period still running); a dossier without a due date is never overdue
  has_digitized_components: Components digitized; NULL when none required
  result_digitized: Result issued electronically
  has_fee: Carries a financial obligation
  is_paid_online: Its fees were paid online
*/
with dossiers as (
    select * from intermediate.int_dossiers_classified
),

periods as (
    select period_type, period_key, period_start, period_end, observed_until from intermediate.int_periods
),

dossiers_in_periods as (
    select p.period_type, p.period_key, p.period_start, p.period_end, p.observed_until, d.*
    from dossiers as d
    inner join periods as p
        on d.received_date <= p.period_end
        and coalesce(d.closed_date, date '9999-12-31') >= p.period_start
),

final as (
    select
        period_type,
        period_key,
        dossier_id,
        unit_code,
        level,
        received_date >= period_start as is_received,
        received_date < period_start as is_carried_over,
        is_online,
        is_procedure_placed,
        is_online_procedure,
        case
            when resolved_date is null or closed_date > period_end then null
            when resolved_date < due_date then 'early'
            when resolved_date = due_date or due_date is null then 'on_time'
            else 'late'
        end as resolution,
        stopped_date is not null and closed_date <= period_end as is_stopped,
        closed_date is null or closed_date > period_end as is_in_progress,
        (closed_date is null or closed_date > period_end) and coalesce(due_date < observed_until, false) as is_overdue,
        has_digitized_components,
        result_digitized,
        has_fee,
        is_paid_online
    from dossiers_in_periods
)

select * from final
