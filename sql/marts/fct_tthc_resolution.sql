/*
description: >
  Biểu 06, tình hình và kết quả giải quyết TTHC: dossiers received (online, directly or by
  post, carried over), resolved (early, on time, late), in progress at the end (within the
  deadline, overdue) and stopped (withdrawn, refused, processing stopped), with the on-time
  rate. received_total = received_online + received_direct + carried_over; resolved_total =
  early + on time + late; received_total = resolved_total + in_progress_total + stopped_total;
  carried_over of a period = in_progress_total of the one before.
grain: one row per period and unit, plus one per period and level and one per period for the whole deployment
primary_key: [period_key, unit_code]
published_by_year: period_end
columns:
  received_online: Tiếp nhận trực tuyến in the period
  received_direct: Tiếp nhận trực tiếp or by post (bưu chính công ích) in the period
  carried_over: Kỳ trước chuyển qua, open at the start of the period
  received_in_period: received_online + received_direct
  received_total: Tổng số hồ sơ phải giải quyết, received_in_period + carried_over
  resolved_early: Giải quyết trước hạn
  resolved_on_time: Giải quyết đúng hạn (on the due date)
  resolved_late: Giải quyết quá hạn
  resolved_early_or_on_time: Giải quyết đúng và sớm hạn, resolved_early + resolved_on_time
  resolved_total: Đã giải quyết
  in_progress_within: Đang giải quyết trong hạn at the end of the period
  in_progress_overdue: Đang giải quyết quá hạn at the end of the period
  in_progress_total: Đang giải quyết
  stopped_total: Withdrawn, refused or stopped in the period (status 3, 7, 8)
  on_time_rate: (resolved_early + resolved_on_time) / resolved_total, a fraction; NULL when nothing was resolved
shared_tests: [by_period_and_unit]
tests:
  - expression: received_total = received_online + received_direct + carried_over
    name: received = online + direct + carried over
  - expression: resolved_total = resolved_early + resolved_on_time + resolved_late
    name: resolved = early + on time + late
  - expression: received_total = resolved_total + in_progress_total + stopped_total
    name: to process = resolved + in progress + stopped
  - expression: in_progress_total = in_progress_within + in_progress_overdue
    name: in progress = within + overdue
  - expression: on_time_rate between 0 and 1 or on_time_rate is null
    name: on_time_rate is a fraction
*/
with counts as (
    select * from intermediate.int_unit_period_counts
),

final as (
    select
        period_type, period_key, period_start, period_end, scope, level, unit_code, unit_name,
        received_online,
        received_direct,
        carried_over,
        received_online + received_direct as received_in_period,
        received_online + received_direct + carried_over as received_total,
        resolved_early,
        resolved_on_time,
        resolved_late,
        resolved_early + resolved_on_time as resolved_early_or_on_time,
        resolved_early + resolved_on_time + resolved_late as resolved_total,
        in_progress_within,
        in_progress_overdue,
        in_progress_within + in_progress_overdue as in_progress_total,
        stopped_total,
        (resolved_early + resolved_on_time) / nullif(resolved_early + resolved_on_time + resolved_late, 0) as on_time_rate
    from counts
)

select * from final
