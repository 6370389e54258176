/*
description: >
  The deployment the warehouse serves (its unit register's code and name): its code is the
  unit_code of the totals of every fact mart, and the prefix of its level roll-ups (code/level).
grain: one row
primary_key: [code]
columns:
  code: Code of the deployment's totals
  name: Name of the deployment
*/
with source_rows as (
    select * from seeds.deployment
),

final as (
    select code, name from source_rows
)

select * from final
