/*
description: >
  Data quality: units named by dossiers, ratings or feedback that are not in the unit
  dimension (the deployment's unit register). They count in the total but in no level.
severity: warn
*/
with named as (
    select 'dossier' as named_by, unit_code from staging.stg_motcua__dossiers
    union all
    select 'rating', unit_code from staging.stg_dvc__ratings
    union all
    select 'feedback', unit_code from staging.stg_dvc__feedback
)

select named_by, unit_code, count(*) as rows
from named
where unit_code is not null and unit_code not in (select unit_code from marts.dim_unit)
group by all
