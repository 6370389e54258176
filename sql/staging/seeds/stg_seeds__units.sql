/*
description: >
  The units of the deployment's register (config deployment.register), over time: the entity at
  the top (a city until 30 June 2025, a province after; it has no level and receives nothing
  itself), the units below it that receive dossiers (agencies, departments, communes, wards, and
  the entity's own one-stop-shop desk), each valid from one day to another.
grain: one row per unit
primary_key: [unit_code]
columns:
  unit_code: Stable code of the unit
  unit_name: Official name
  level: A level of the register (stg_seeds__levels); NULL for the entity at the top
  unit_type: As the register says, e.g. city, province, agency, department, ward, commune, or desk (the entity's own one-stop-shop desk, listed only in the periods it received dossiers)
  parent_code: unit_code of the unit it belongs to; NULL for the entity at the top
  valid_from: First day the unit existed (NULL when earlier than the data)
  valid_to: Last day the unit existed (NULL while it exists)
  reports_to: The authority the unit sends its reports to, as the register names it (UBND tỉnh Quảng Bình for Thành phố Đồng Hới); set on the entities at the top, NULL where the register has none
tests:
  - relationships: { column: level, to: staging.stg_seeds__levels, field: level }
*/
with source_rows as (
    select * from seeds.units
),

final as (
    select unit_code, unit_name, level, unit_type, parent_code, valid_from, valid_to, reports_to
    from source_rows
)

select * from final
