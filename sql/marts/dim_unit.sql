/*
description: >
  Units that report: the city (reporting entity), its city-level agencies, its communes and
  wards, and the level roll-ups that the fact marts use, with validity dates.
grain: one row per unit or roll-up
primary_key: [unit_code]
columns:
  unit_code: Stable code; roll-ups are the entity code with /city or /commune
  unit_name: Official name, or the roll-up label
  level: entity, city or commune
  unit_type: city, agency, ward, commune, desk (the entity's own one-stop-shop desk, <entity>.MC) or rollup
  parent_code: The unit it belongs to
  valid_from: First day the unit existed (NULL when earlier than the data)
  valid_to: Last day the unit existed (NULL while it exists)
  is_rollup: A roll-up of a level, not a real unit
tests:
  - accepted_values: { column: level, values: [entity, city, commune] }
  - not_null: [unit_name, level]
*/
with units as (
    select * from staging.stg_seeds__units
),

level_names as (
    select code as level, label from staging.stg_seeds__code_lists where list = 'level'
),

rollups as (
    select
        e.unit_code || '/' || n.level as unit_code,
        n.label as unit_name,
        n.level,
        'rollup' as unit_type,
        e.unit_code as parent_code,
        e.valid_from,
        e.valid_to,
        true as is_rollup
    from units as e
    cross join level_names as n
    where e.level = 'entity'
),

final as (
    select unit_code, unit_name, level, unit_type, parent_code, valid_from, valid_to, false as is_rollup
    from units
    union all
    select * from rollups
)

select * from final
