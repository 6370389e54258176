/*
description: >
  Citizen feedback on administrative procedures (phản ánh, kiến nghị: PAKN), typed: the latest
  version of each. Who sent it and what it says stay in raw (personal data).
grain: one row per feedback
primary_key: [feedback_id]
columns:
  feedback_id: Mã PAKN
  unit_code: Unit that must answer
  subject: Chủ đề, as exported
  received_at: Time received
  due_at: Answer due
  answered_at: Time answered; NULL while open
  status: in_process, answered or not_in_remit
  is_answered_on_time: Answered by the due day (compared as dates); NULL while open
  updated_at: Time of this version
*/
with source_rows as (
    select * from raw.dvc__feedback
),

typed as (
    select
        trim(feedback_id) as feedback_id,
        coalesce(unit_at(unit, vn_timestamp(received_at)::date), trim(unit)) as unit_code,
        blank_to_null(subject) as subject,
        vn_timestamp(received_at) as received_at,
        vn_timestamp(due_at) as due_at,
        vn_timestamp(answered_at) as answered_at,
        code_of('feedback_status', status) as status,
        vn_timestamp(updated_at) as updated_at,
        _load_id,
        _row
    from source_rows
),

final as (
    select
        feedback_id, unit_code, subject, received_at, due_at, answered_at, status,
        case when answered_at is not null then answered_at::date <= coalesce(due_at::date, answered_at::date) end as is_answered_on_time,
        updated_at
    from latest_version(typed, feedback_id)
)

select * from final
