/*
description: >
  Reporting periods (kỳ báo cáo) covered by the data, with Vietnamese labels as the report
  writes them and their reporting windows.
grain: one row per period
primary_key: [period_key]
columns:
  period_key: 2023, 2023-H2, 2024-Q1 or 2024-03
  period_type: year, half, quarter or month
  period_label: Label as in the report (Năm 2023, 6 tháng cuối năm 2023, Quý I/2024, Tháng 3/2024)
  year: Calendar year of the period
  period_start: First day of the reporting window
  period_end: Last day of the reporting window
  calendar_start: First day of the calendar period
  calendar_end: Last day of the calendar period
  is_complete: The data reaches the end of the window
  previous_period_key: The period of the same type just before
tests:
  - expression: period_start <= period_end
    name: periods end after they start
*/
with periods as (
    select * from intermediate.int_periods
),

final as (
    select
        period_key,
        period_type,
        case period_type
            when 'year' then 'Năm ' || year(calendar_start)
            when 'half' then (case when month(calendar_start) = 1 then '6 tháng đầu năm ' else '6 tháng cuối năm ' end) || year(calendar_start)
            when 'quarter' then 'Quý ' || ['I', 'II', 'III', 'IV'][quarter(calendar_start)] || '/' || year(calendar_start)
            else 'Tháng ' || month(calendar_start) || '/' || year(calendar_start)
        end as period_label,
        year(calendar_start)::integer as year,
        period_start,
        period_end,
        calendar_start,
        calendar_end,
        is_complete,
        previous_period_key
    from periods
)

select * from final
