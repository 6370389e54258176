/*
description: >
  Danh mục TTHC: the procedure catalogue as last exported by the one-stop-shop system, typed.
  A procedure is offered online (dịch vụ công trực tuyến) at level 3 (partial) or 4 (full).
grain: one row per procedure
primary_key: [procedure_code]
columns:
  procedure_code: Mã TTHC, national code without the provincial suffix
  procedure_name: Tên thủ tục
  level: A level of the deployment's register, from Cấp thực hiện as the catalogue writes it (Cấp huyện is city, Cấp xã is commune for Đồng Hới)
  field_code: Mã lĩnh vực
  field_name: Lĩnh vực
  agency: Cơ quan thực hiện, as exported
  online_level: Mức độ DVC, 2 information only, 3 partial online, 4 full online
  is_online_service: Offered as an online public service (level 3 or 4)
  processing_days: Thời hạn giải quyết, working days
  fee_vnd: Phí, lệ phí, đồng
  is_in_force: In force (đang áp dụng); false once repealed
*/
with source_rows as (
    select * from raw.motcua__procedures
),

codes as (
    select list, alias_key, code, group_name from seeds.code_aliases
),

typed as (
    select
        national_procedure_code(r.procedure_code) as procedure_code,
        trim(r.procedure_name) as procedure_name,
        lvl.code as level,
        blank_to_null(r.field_code) as field_code,
        blank_to_null(r.field_name) as field_name,
        blank_to_null(r.agency) as agency,
        ol.code::integer as online_level,
        coalesce(ol.group_name = 'online', false) as is_online_service,
        vn_integer(r.processing_days) as processing_days,
        coalesce(vn_amount(r.fee_vnd), 0) as fee_vnd,
        coalesce(st.code, 'in_force') = 'in_force' as is_in_force,
        r._load_id,
        r._row
    from source_rows as r
    left join codes as lvl on lvl.list = 'level' and lvl.alias_key = norm_key(r.level)
    left join codes as ol on ol.list = 'online_level' and ol.alias_key = norm_key(r.online_level)
    left join codes as st on st.list = 'catalogue_status' and st.alias_key = norm_key(r.catalogue_status)
),

final as (
    select
        procedure_code, procedure_name, level, field_code, field_name, agency,
        online_level, is_online_service, processing_days, fee_vnd, is_in_force
    from latest_loaded(typed, procedure_code)
)

select * from final
