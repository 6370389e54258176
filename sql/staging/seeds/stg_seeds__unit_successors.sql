/*
description: >
  The crosswalk of the register: for each unit that ended (merged or split), the units that took
  it over and the share of its work each took (1 for a merger; the parts of a split add up to 1).
grain: one row per unit and successor
primary_key: [unit_code, successor_code]
columns:
  unit_code: The unit that ended
  successor_code: A unit that took it over
  share: The part of the unit's work the successor took, from 0 to 1
tests:
  - relationships: { column: unit_code, to: staging.stg_seeds__units, field: unit_code }
  - relationships: { column: successor_code, to: staging.stg_seeds__units, field: unit_code }
*/
with source_rows as (
    select * from seeds.unit_successors
),

final as (
    select unit_code, successor_code, share from source_rows
)

select * from final
