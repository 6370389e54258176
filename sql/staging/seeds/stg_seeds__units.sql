/*
description: >
  Administrative units of the reporting entity from sql/seeds/units.csv: the entity itself
  (the city), its city-level agencies and its communes and wards, with their validity dates;
  and the entity's own desk (<entity>.MC), which receives dossiers under the entity's name and
  counts at the level of reporting.entity_desk_level.
grain: one row per unit
primary_key: [unit_code]
columns:
  unit_code: Stable code of the unit
  unit_name: Official name
  level: entity (the reporting city), city (city-level agency) or commune (commune or ward)
  unit_type: city, agency, ward, commune, or desk (the entity's own one-stop-shop desk)
  parent_code: unit_code of the entity the unit belongs to
  valid_from: First day the unit existed (NULL when earlier than the data)
  valid_to: Last day the unit existed (NULL while it exists)
*/
with source_rows as (
    select * from seeds.units
),

final as (
    select
        unit_code,
        unit_name,
        level,
        unit_type,
        blank_to_null(parent_code) as parent_code,
        try_cast(valid_from as date) as valid_from,
        try_cast(valid_to as date) as valid_to
    from source_rows
)

select * from final
