/*
description: >
  Hồ sơ TTHC of the one-stop-shop system, typed and deduplicated: the latest version of each
  dossier across all exports (by update time, then load order, then row). A liên thông dossier
  that several agencies export is one row, for its receiving unit. No personal data: the
  applicant is a keyed hash of their ID number.
grain: one row per dossier
primary_key: [dossier_id]
# A night's exports are a sliver of the history: only the rows loaded since the last run are
# typed and merged in (see docs/operations.md, "Incremental models").
materialized: incremental
incremental:
  unique_key: dossier_id
  add_up: [versions]
columns:
  dossier_id: Mã hồ sơ (dossier code, unique within the province)
  procedure_code: Mã TTHC, national code without the provincial suffix; NULL for an export that names the procedure only (the tracking book)
  procedure_name: Tên thủ tục as exported
  field_code: Mã lĩnh vực
  field_name: Lĩnh vực
  unit_code: Receiving unit (đơn vị tiếp nhận), a unit_code of dim_unit, the unit of that name on the day of reception (docs/counting-rules.md); the exported label when it matches no unit
  handling_unit: Đơn vị xử lý of the winning row, as exported
  channel_code: KenhThucHien (1 direct, 2 online, 3 postal)
  channel: direct, online or postal
  is_online: Received online (kênh trực tuyến)
  status_code: TrangThaiHoSo, 1–10
  status_group: registered, received, processing, resolved or stopped
  submitted_at: Ngày nộp (online submission)
  received_at: Ngày tiếp nhận
  due_at: Ngày hẹn trả, as last moved
  processing_finished_at: Ngày có kết quả (NgayKetThucXuLy)
  result_returned_at: Ngày trả kết quả (NgayTra)
  refused_at: Ngày từ chối / dừng xử lý (NgayTuChoi)
  has_digitized_components: Components digitized; NULL when the dossier needs no digitization
  result_digitized: Result issued as an electronic document
  fee_vnd: Fees and charges, đồng
  paid_online: Fees paid online
  applicant_key: Keyed hash (HMAC-SHA-256) of the applicant's ID number, the same for one person in every dossier and in stg_dvc__accounts; NULL without a key (privacy.hash_key_env) or an ID number
  updated_at: Time of the winning version
  versions: Number of rows seen for this dossier across exports
  _load_id: ops.loads id of the winning row
  _file: Export file of the winning row
  _row: Row of the winning row in that file
tests:
  - not_null: [unit_code, channel, status_code, updated_at]
  - accepted_values: { column: status_group, values: [registered, received, processing, resolved, stopped] }
  - accepted_values: { column: channel, values: [direct, online, postal] }
*/
with source_rows as not materialized (
    select * from raw.motcua__dossiers
),

-- The latest version of each dossier is chosen on the few columns that decide it, and only the
-- winners are typed: typing every version, and sorting them whole, took about twice as long.
decided as (
    select trim(dossier_id) as dossier_id, vn_timestamp(updated_at) as updated_at, _load_id, _row
    from source_rows
),

winners as (
    select * from latest_row(decided, dossier_id)
),

-- The unit a spelling names changes only on the days a unit of that spelling begins or ends
-- (unit_at, sql/setup.sql): it is looked up once per spelling and span between such days, and
-- each dossier takes the span its day of reception falls in. Looked up per name and day of every
-- row, the day was read from the text twice more. A dossier without a day of reception falls in
-- the span from -infinity, before any unit, as unit_at finds for an unknown day. From the seeds
-- alone, so that DuckDB knows the spans are few, and looks the dossiers up in them, not the
-- reverse.
unit_spans as (
    select
        alias_key,
        day_from,
        lead(day_from, 1, 'infinity'::date) over (partition by alias_key order by day_from) as day_to,
        unit_of_key(alias_key, day_from) as unit_code
    from (
        select alias_key, '-infinity'::date as day_from from seeds.unit_spellings
        union
        select alias_key, unnest([valid_from, valid_to + 1]) from seeds.unit_spellings
    )
),

channels as (
    select alias_key, code::integer as channel_code, group_name as channel
    from seeds.code_aliases where list = 'channel'
),

statuses as (
    select alias_key, code::integer as status_code, group_name as status_group
    from seeds.code_aliases where list = 'status'
),

typed as (
    select
        w.dossier_id,
        national_procedure_code(blank_to_null(r.procedure_code)) as procedure_code,
        blank_to_null(r.procedure_name) as procedure_name,
        blank_to_null(r.field_code) as field_code,
        blank_to_null(r.field_name) as field_name,
        r.receiving_unit,
        blank_to_null(r.handling_unit) as handling_unit,
        c.channel_code,
        c.channel,
        c.channel = 'online' as is_online,
        s.status_code,
        s.status_group,
        vn_timestamp(r.submitted_at) as submitted_at,
        vn_timestamp(r.received_at) as received_at,
        vn_timestamp(r.due_at) as due_at,
        vn_timestamp(r.processing_finished_at) as processing_finished_at,
        vn_timestamp(r.result_returned_at) as result_returned_at,
        vn_timestamp(r.refused_at) as refused_at,
        vn_boolean(r.has_digitized_components) as has_digitized_components,
        -- Flat exports say it in a column; the sync API in its lists of results and fees.
        coalesce(
            vn_boolean(r.result_digitized),
            list_contains(json_extract_string(r.record_json, '$.DanhSachGiayToKetQua[*].CoTepDienTu'), 'true'),
            false
        ) as result_digitized,
        coalesce(
            vn_amount(r.fee_vnd),
            list_sum(list_transform(json_extract_string(r.record_json, '$.DanhSachLePhi[*].Gia'), x -> x::decimal(18, 2))),
            0
        ) as fee_vnd,
        coalesce(vn_boolean(r.paid_online), false) as paid_online,
        person_key(r.applicant_id_number) as applicant_key,
        w.updated_at,
        w.versions,
        r._load_id,
        r._file,
        r._row
    from winners as w
    inner join source_rows as r using (_load_id, _row)
    left join channels as c on c.alias_key = norm_key(r.channel)
    left join statuses as s on s.alias_key = norm_key(r.status)
),

final as (
    select
        dossier_id, procedure_code, procedure_name, field_code, field_name,
        coalesce(u.unit_code, trim(t.receiving_unit)) as unit_code, handling_unit,
        channel_code, channel, is_online, status_code, status_group,
        submitted_at, received_at, due_at, processing_finished_at, result_returned_at, refused_at,
        has_digitized_components, result_digitized, fee_vnd, paid_online, applicant_key,
        updated_at, versions::bigint as versions, _load_id, _file, _row
    from typed as t
    -- The unit of that name on the day of reception: phường Đồng Sơn before 1 July 2025 is not
    -- phường Đồng Sơn after it.
    left join unit_spans as u
        on u.alias_key = norm_key(t.receiving_unit)
        and coalesce(t.received_at::date, '-infinity'::date) >= u.day_from
        and coalesce(t.received_at::date, '-infinity'::date) < u.day_to
)

select * from final
