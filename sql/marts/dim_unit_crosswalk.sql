/*
description: >
  Where each unit's work lies on any day, through the register's successors: a unit maps to
  itself while it exists, and after it ends to the units that took it over, with their shares
  (a merger passes all of it on; a split gives each part its share; a successor that ends in
  turn passes its part on). To restate a figure under the units of a day, join a fact mart's
  unit rows on unit_code and keep the rows whose validity holds that day, multiplying the
  counts by share (docs/analysts.md, "Comparing across the 2025 reform").
grain: one row per unit and unit it maps to, over the days that unit exists
primary_key: [unit_code, restated_code]
columns:
  unit_code: A unit that receives dossiers (any time)
  restated_code: A unit its work lies with, itself included
  share: The part of unit_code's work that lies with restated_code, from 0 to 1
  valid_from: First day restated_code exists (NULL when earlier than the data)
  valid_to: Last day restated_code exists (NULL while it exists)
tests:
  - relationships: { column: unit_code, to: marts.dim_unit, field: unit_code }
  - relationships: { column: restated_code, to: marts.dim_unit, field: unit_code }
  - expression: share > 0 and share <= 1
    name: share is a fraction
*/
with recursive units as (
    select unit_code, valid_from, valid_to from staging.stg_seeds__units where parent_code is not null
),

successors as (
    select unit_code, successor_code, share from staging.stg_seeds__unit_successors
),

chain (unit_code, restated_code, share, depth) as (
    select unit_code, unit_code, 1.0::double, 0 from units
    union all
    select c.unit_code, s.successor_code, c.share * s.share, c.depth + 1
    from chain as c
    inner join successors as s on s.unit_code = c.restated_code
    -- A register that makes a unit its own successor, however far down, stops here.
    where c.depth < 32
),

final as (
    select c.unit_code, c.restated_code, sum(c.share) as share, u.valid_from, u.valid_to
    from chain as c
    inner join units as u on u.unit_code = c.restated_code
    group by all
)

select * from final
