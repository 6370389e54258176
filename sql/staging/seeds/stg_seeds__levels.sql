/*
description: >
  The roll-up levels of the deployment's register, in the order the report lists them: e.g. city
  and commune for a city before 1 July 2025, province and commune after. Their labels are those
  the report prints (Cấp thành phố, Cấp tỉnh, Cấp xã, phường).
grain: one row per level
primary_key: [level]
columns:
  level: Code of the level
  label: Vietnamese label, as the report prints it
  position: Its place in the report, from 1
*/
with source_rows as (
    select * from seeds.levels
),

final as (
    select level, label, position from source_rows
)

select * from final
