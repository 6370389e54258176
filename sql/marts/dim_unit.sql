/*
description: >
  Every unit the marts report on, from the deployment's unit register: the entities at its top
  (a city until 30 June 2025, a province after), the units that receive dossiers (agencies,
  departments, communes, wards, the entity's own desk), each with its validity; the level
  roll-ups and the deployment's total that the fact marts use; and, for the units that ended,
  where they went (see dim_unit_crosswalk).
grain: one row per unit or roll-up
primary_key: [unit_code]
columns:
  unit_code: Stable code; the total is the deployment's code (DH), a level's roll-up the deployment's code with /level (DH/commune)
  unit_name: Official name, or the roll-up's label (the level's label; the deployment's name for the total)
  level: A level of the register; NULL for an entity at the top and for the total
  level_position: The level's place in the report, from 1
  unit_type: As the register says (city, province, agency, department, ward, commune, desk), or rollup or total
  parent_code: The unit it belongs to
  valid_from: First day the unit existed (NULL when earlier than the data, and for roll-ups)
  valid_to: Last day the unit existed (NULL while it exists, and for roll-ups)
  is_rollup: A roll-up of a level or the total, not a real unit
  successors: The units that took it over when it ended, with their shares ("QT.STP 0.4, QT.DONGHOI 0.3"); NULL for a unit that did not end
  reports_to: The authority the unit sends its reports to, from the register (UBND tỉnh Quảng Bình for Thành phố Đồng Hới until 30 June 2025, Văn phòng Chính phủ for Tỉnh Quảng Trị after); the report prints it as "Đơn vị nhận báo cáo". NULL where the register has none, and for roll-ups
tests:
  - relationships: { column: level, to: staging.stg_seeds__levels, field: level }
  - not_null: [unit_name, unit_type]
*/
with units as (
    select * from staging.stg_seeds__units
),

levels as (
    select level, label, position from staging.stg_seeds__levels
),

successors as (
    select unit_code, string_agg(successor_code || ' ' || share, ', ' order by share desc, successor_code) as successors
    from staging.stg_seeds__unit_successors
    group by unit_code
),

deployment as (
    select code, name from staging.stg_seeds__deployment
),

final as (
    select u.unit_code, u.unit_name, u.level, l.position as level_position, u.unit_type, u.parent_code, u.valid_from, u.valid_to,
           false as is_rollup, s.successors, u.reports_to
    from units as u
    left join levels as l using (level)
    left join successors as s using (unit_code)
    union all
    select d.code || '/' || l.level, l.label, l.level, l.position, 'rollup', d.code, null, null, true, null, null
    from deployment as d
    cross join levels as l
    union all
    select code, name, null, null, 'total', null, null, null, true, null, null
    from deployment
)

select * from final
