/*
description: >
  The reporting periods the data covers: years, halves, quarters and months from the first
  month of exports to the last update seen. Each period's window follows the setting
  reporting.period_window: calendar, or the official cut-off (15th of the month before the
  period to the 14th of its last month). Periods that start before the data are left out.
grain: one row per period
primary_key: [period_key]
columns:
  period_type: year, half, quarter or month
  period_key: 2023, 2023-H2, 2024-Q1 or 2024-03
  period_start: First day of the reporting window
  period_end: Last day of the reporting window
  calendar_start: First day of the calendar period
  calendar_end: Last day of the calendar period
  is_complete: The data reaches the end of the window
  observed_until: The end of the window, or for a period still running the last day the data reaches; dossiers open then are in progress, and overdue if due before it
  previous_period_key: The period of the same type just before
*/
with bounds as (
    select
        date_trunc('month', min(updated_at))::date as first_month,
        max(updated_at)::date as as_of
    from staging.stg_motcua__dossiers
),

-- One month past the data: with the cut-off window, the days after the 15th of the last month
-- belong to the next month's period.
months as (
    select unnest(generate_series(first_month, as_of + interval 1 month, interval 1 month))::date as month_start
    from bounds
),

calendar_periods as (
    select distinct
        'year' as period_type,
        strftime(month_start, '%Y') as period_key,
        date_trunc('year', month_start)::date as calendar_start,
        (date_trunc('year', month_start) + interval 1 year - interval 1 day)::date as calendar_end
    from months
    union all
    select distinct
        'half',
        strftime(month_start, '%Y') || '-H' || (case when month(month_start) <= 6 then 1 else 2 end),
        make_date(year(month_start), case when month(month_start) <= 6 then 1 else 7 end, 1),
        (make_date(year(month_start), case when month(month_start) <= 6 then 1 else 7 end, 1) + interval 6 month - interval 1 day)::date
    from months
    union all
    select distinct
        'quarter',
        strftime(month_start, '%Y') || '-Q' || quarter(month_start),
        date_trunc('quarter', month_start)::date,
        (date_trunc('quarter', month_start) + interval 3 month - interval 1 day)::date
    from months
    union all
    select
        'month',
        strftime(month_start, '%Y-%m'),
        month_start,
        (month_start + interval 1 month - interval 1 day)::date
    from months
),

windowed as (
    select
        *,
        case reporting_setting('period_window')
            when 'cutoff' then (calendar_start - interval 1 month + interval 14 day)::date
            else calendar_start
        end as period_start,
        case reporting_setting('period_window')
            when 'cutoff' then (date_trunc('month', calendar_end) + interval 13 day)::date
            else calendar_end
        end as period_end
    from calendar_periods
),

final as (
    select
        w.period_type,
        w.period_key,
        w.period_start,
        w.period_end,
        w.calendar_start,
        w.calendar_end,
        w.period_end <= b.as_of as is_complete,
        least(w.period_end, b.as_of) as observed_until,
        lag(w.period_key) over (partition by w.period_type order by w.period_start) as previous_period_key
    from windowed as w, bounds as b
    where w.calendar_start >= b.first_month and w.period_start <= b.as_of
)

select * from final
