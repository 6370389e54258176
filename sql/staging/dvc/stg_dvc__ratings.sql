/*
description: >
  Satisfaction survey forms of the public-service portal (phiếu đánh giá mức độ hài lòng),
  typed: the latest version of each form.
grain: one row per survey form
primary_key: [rating_id]
columns:
  rating_id: Mã đánh giá
  dossier_id: Mã hồ sơ rated; NULL for a form filled at the desk without one
  unit_code: Unit rated
  rated_at: Time of rating
  channel: Paper form, online, kiosk or SMS, as exported
  satisfaction_level: 4 very satisfied, 3 satisfied, 2 neutral, 1 unsatisfied
  is_satisfied: Satisfied or very satisfied
  updated_at: Time of this version
*/
with source_rows as (
    select * from raw.dvc__ratings
),

typed as (
    select
        trim(rating_id) as rating_id,
        blank_to_null(dossier_id) as dossier_id,
        coalesce(unit_at(unit, vn_timestamp(rated_at)::date), trim(unit)) as unit_code,
        vn_timestamp(rated_at) as rated_at,
        blank_to_null(channel) as channel,
        code_of('satisfaction', satisfaction)::integer as satisfaction_level,
        group_of('satisfaction', satisfaction) = 'satisfied' as is_satisfied,
        vn_timestamp(updated_at) as updated_at,
        _load_id,
        _row
    from source_rows
),

final as (
    select rating_id, dossier_id, unit_code, rated_at, channel, satisfaction_level, is_satisfied, updated_at
    from latest_version(typed, rating_id)
)

select * from final
