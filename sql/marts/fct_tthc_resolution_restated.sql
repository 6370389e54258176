/*
description: >
  Biểu 06 of every period restated under the units that exist on the last day of the data
  (today's units: for Đồng Hới since 1 July 2025, the three wards of Quảng Trị and the
  province's departments), through dim_unit_crosswalk: each unit's counts go to the units that
  took it over, times their share. So "Q3 2026 against Q3 2024" for one ward is one query. The
  counts are those of fct_tthc_resolution, as fractions where a split shares them out; the
  totals of each period are unchanged, and so are the identities of Biểu 06.
grain: one row per period and unit of the last day, plus one per period and level and one per period for the whole deployment
primary_key: [period_key, unit_code]
published_by_year: period_end
columns:
  restated_on: The day whose units the figures are restated under (the last day of the data)
  unit_code: A unit that exists on restated_on, a level roll-up or the deployment's total
  unit_name: Its name
  level: Its level
  received_online: Tiếp nhận trực tuyến in the period, restated
  received_direct: Tiếp nhận trực tiếp or by post in the period, restated
  carried_over: Kỳ trước chuyển qua, restated
  received_in_period: received_online + received_direct, restated
  received_total: Tổng số hồ sơ phải giải quyết, restated
  resolved_early: Giải quyết trước hạn, restated
  resolved_on_time: Giải quyết đúng hạn, restated
  resolved_late: Giải quyết quá hạn, restated
  resolved_early_or_on_time: resolved_early + resolved_on_time, restated
  resolved_total: Đã giải quyết, restated
  in_progress_within: Đang giải quyết trong hạn at the end of the period, restated
  in_progress_overdue: Đang giải quyết quá hạn at the end of the period, restated
  in_progress_total: Đang giải quyết, restated
  stopped_total: Withdrawn, refused or stopped in the period, restated
  on_time_rate: resolved_early_or_on_time / resolved_total of the restated counts, a fraction; NULL when nothing was resolved
shared_tests: [by_period_and_unit]
tests:
  - expression: abs(received_total - (resolved_total + in_progress_total + stopped_total)) < 1e-6
    name: to process = resolved + in progress + stopped, restated
*/
with counts as (
    select * from marts.fct_tthc_resolution where scope = 'unit'
),

restated_on as (
    select max(observed_until) as day from intermediate.int_periods
),

crosswalk as (
    select c.unit_code, c.restated_code, c.share
    from marts.dim_unit_crosswalk as c, restated_on as r
    where r.day between coalesce(c.valid_from, date '0001-01-01') and coalesce(c.valid_to, date '9999-12-31')
),

units as (
    select unit_code, unit_name, level from marts.dim_unit
),

restated as (
    select
        f.period_type, f.period_key, f.period_start, f.period_end,
        x.restated_code as unit_code,
        -- Rounded far below the checks' tolerance (1e-6): a split in tenths adds up to
        -- 15755.000000000002 otherwise.
        round(sum(columns(f.* exclude (period_type, period_key, period_start, period_end, scope, level, unit_code, unit_name, on_time_rate)) * x.share), 9)
    from counts as f
    inner join crosswalk as x using (unit_code)
    group by all
),

rolled_up as (
    select
        r.period_type, r.period_key, r.period_start, r.period_end,
        case when grouping(u.level) = 1 then 'total' when grouping(r.unit_code) = 1 then 'level' else 'unit' end as scope,
        u.level,
        case
            when grouping(u.level) = 1 then deployment_code()
            when grouping(r.unit_code) = 1 then deployment_code() || '/' || u.level
            else r.unit_code
        end as unit_code,
        sum(columns(r.* exclude (period_type, period_key, period_start, period_end, unit_code)))
    from restated as r
    inner join units as u using (unit_code)
    group by grouping sets (
        (r.period_type, r.period_key, r.period_start, r.period_end),
        (r.period_type, r.period_key, r.period_start, r.period_end, u.level),
        (r.period_type, r.period_key, r.period_start, r.period_end, u.level, r.unit_code)
    )
),

final as (
    select
        r.period_type, r.period_key, r.period_start, r.period_end, d.day as restated_on, r.scope, r.level, r.unit_code, u.unit_name,
        r.* exclude (period_type, period_key, period_start, period_end, scope, level, unit_code),
        r.resolved_early_or_on_time / nullif(r.resolved_total, 0) as on_time_rate
    from rolled_up as r
    cross join restated_on as d
    left join units as u using (unit_code)
)

select * from final
