/*
description: >
  Lines of the budget execution reports, typed, in millions of đồng whatever unit the report
  was printed in, from the latest report of each quarter (a corrected report replaces the
  earlier one whole). Parent and child lines are both here, as printed: never sum all lines.
grain: one row per reported quarter and budget line
primary_key: [report_period, item_path]
columns:
  report_period: Quarter the report runs to, year to date (2023-Q4)
  year: Year of the report
  quarter: Quarter of the report, 1–4
  item_path: Place in the report's hierarchy, the STT codes of the line and its parents (A.I.2)
  item_code: STT as printed
  item_name: Nội dung, as printed
  item_depth: 1 for sections (A, B), 2 for I, II…, 3 for 1, 2…, deeper below
  parent_path: item_path of the line it belongs to; NULL for a section
  is_of_which: A "trong đó" line, part of its parent rather than one of the parts that add up to it
  estimate_mvnd: Dự toán năm, millions of đồng
  actual_period_mvnd: Thực hiện of the quarter as printed, millions of đồng
  actual_cumulative_mvnd: Thực hiện lũy kế from the start of the year, millions of đồng
  _load_id: ops.loads id of the report
*/
with source_rows as (
    select * from raw.ngansach__budget_lines
),

units as (
    select alias_key, code::double as factor from seeds.code_aliases where list = 'budget_unit'
),

latest_reports as (
    select * from source_rows
    qualify _load_id = max(_load_id) over (partition by report_period)
),

final as (
    select
        r.report_period,
        left(r.report_period, 4)::integer as year,
        right(r.report_period, 1)::integer as quarter,
        r.item_path,
        r.item_code,
        trim(r.item_name) as item_name,
        length(r.item_path) - length(replace(r.item_path, '.', '')) + 1 as item_depth,
        nullif(regexp_replace(r.item_path, '\.?[^.]+$', ''), '') as parent_path,
        regexp_matches(r.item_path, '(^|\.)-\d+$') as is_of_which,
        vn_amount(r.estimate) * u.factor as estimate_mvnd,
        vn_amount(r.actual_period) * u.factor as actual_period_mvnd,
        vn_amount(r.actual_cumulative) * u.factor as actual_cumulative_mvnd,
        r._load_id
    from latest_reports as r
    inner join units as u on u.alias_key = norm_key(r.amount_unit)
)

select * from final
