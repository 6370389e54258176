/*
description: >
  Thủ tục hành chính: the procedure catalogue, with level, field, online-service level and
  whether the procedure is in force.
grain: one row per procedure
primary_key: [procedure_code]
columns:
  procedure_code: Mã TTHC
  procedure_name: Tên thủ tục
  level: A level of the deployment's register (Cấp thực hiện as the catalogue writes it)
  field_code: Mã lĩnh vực
  field_name: Lĩnh vực
  agency: Cơ quan thực hiện
  online_level: Mức độ DVC, 2 information only, 3 partial online, 4 full online
  is_online_service: Offered online (level 3 or 4)
  processing_days: Thời hạn giải quyết, working days
  fee_vnd: Phí, lệ phí, đồng
  is_in_force: In force
tests:
  - relationships: { column: level, to: staging.stg_seeds__levels, field: level }
  - accepted_values: { column: online_level, values: [2, 3, 4] }
  - not_null: [procedure_name, level]
*/
with procedures as (
    select * from staging.stg_motcua__procedures
),

final as (
    select
        procedure_code, procedure_name, level, field_code, field_name, agency,
        online_level, is_online_service, processing_days, fee_vnd, is_in_force
    from procedures
)

select * from final
