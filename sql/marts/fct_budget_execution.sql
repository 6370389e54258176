/*
description: >
  Thực hiện dự toán ngân sách: for each budget line, the year's estimate, the actual from the
  start of the year, the actual of the period and the execution rate, by quarter and by year.
  The actual of a quarter is the difference of two cumulative figures, or, where one of them
  is missing, the figure the report prints for its quarter; the year is its fourth-quarter report. Lines are as
  printed, parents and children both: filter on item_key or item_path, never sum all lines.
  Budget periods are calendar quarters and years whatever the reporting window.
grain: one row per period and budget line, for the whole deployment
primary_key: [period_key, item_path]
published_by_year: period_end
columns:
  period_type: quarter or year
  period_key: 2023-Q4 or 2023
  period_start: First day of the period
  period_end: Last day of the period
  scope: total (the budget is the deployment's)
  level: Always empty (NULL), the budget has no level
  unit_code: The deployment's code (DH), as on every total row
  unit_name: Its name
  item_key: Stable key of the line from the config (revenue_total, revenue_balanced, expenditure_total, expenditure_capital…); NULL for lines without one
  item_path: Place in the report's hierarchy (A.I.2)
  item_code: STT as printed
  item_name: Nội dung
  item_depth: 1 for sections, deeper below
  parent_path: item_path of the line it belongs to
  is_of_which: A "trong đó" line, part of its parent
  estimate_mvnd: Dự toán năm, millions of đồng
  actual_cumulative_mvnd: Thực hiện from the start of the year to the end of the period, millions of đồng
  actual_period_mvnd: Thực hiện within the period, millions of đồng (from the cumulative figures, else as printed)
  execution_rate: actual_cumulative_mvnd / estimate_mvnd, a fraction
tests:
  - accepted_values: { column: period_type, values: [quarter, year] }
  - expression: estimate_mvnd >= 0 or estimate_mvnd is null
    name: estimates are not negative
*/
with lines as (
    select * from staging.stg_ngansach__budget_lines
),

item_keys as (
    select item_key, item_path from settings.budget_items
),

quarters as (
    select
        'quarter' as period_type,
        report_period as period_key,
        make_date(year, 3 * quarter - 2, 1) as period_start,
        (make_date(year, 3 * quarter - 2, 1) + interval 3 month - interval 1 day)::date as period_end,
        l.*,
        -- The difference of two cumulative figures; where one of them is missing ("-", or no
        -- report of the quarter before), the figure the report prints for its quarter.
        coalesce(
            case
                when quarter = 1 then actual_cumulative_mvnd
                when lag(quarter) over by_item = quarter - 1 then actual_cumulative_mvnd - lag(actual_cumulative_mvnd) over by_item
            end,
            actual_period_mvnd
        ) as actual_flow_mvnd
    from lines as l
    window by_item as (partition by year, item_path order by quarter)
),

years as (
    select
        'year' as period_type,
        year::varchar as period_key,
        make_date(year, 1, 1) as period_start,
        make_date(year, 12, 31) as period_end,
        l.*,
        actual_cumulative_mvnd as actual_flow_mvnd
    from lines as l
    where quarter = 4
),

periods as (
    select * from quarters
    union all by name
    select * from years
),

final as (
    select
        p.period_type, p.period_key, p.period_start, p.period_end,
        'total' as scope,
        null::varchar as level,
        deployment_code() as unit_code,
        deployment_name() as unit_name,
        k.item_key,
        p.item_path, p.item_code, p.item_name, p.item_depth, p.parent_path, p.is_of_which,
        p.estimate_mvnd,
        p.actual_cumulative_mvnd,
        p.actual_flow_mvnd as actual_period_mvnd,
        p.actual_cumulative_mvnd / nullif(p.estimate_mvnd, 0) as execution_rate
    from periods as p
    left join item_keys as k using (item_path)
)

select * from final
