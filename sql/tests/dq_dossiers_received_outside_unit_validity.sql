/*
description: >
  Data quality: dossiers received on a day their receiving unit did not exist (a ward of 2025
  named on a dossier of 2024, or a unit that ended named on a new dossier when it has no single
  successor). They count under the unit the export names; correct the export, or the unit's
  dates or successors in the register.
severity: warn
*/
select d.unit_code, min(d.received_date) as first_received, max(d.received_date) as last_received, count(*) as dossiers
from intermediate.int_dossiers_classified as d
inner join staging.stg_seeds__units as u using (unit_code)
where d.received_date < coalesce(u.valid_from, date '0001-01-01') or d.received_date > coalesce(u.valid_to, date '9999-12-31')
group by all
