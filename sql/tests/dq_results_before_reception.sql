/*
description: >
  Data quality: dossiers whose result or stop is dated before their reception. They are
  closed on the day of reception instead.
severity: warn
*/
select dossier_id, unit_code, received_date, resolved_date, stopped_date
from intermediate.int_dossiers_classified
where coalesce(resolved_date, stopped_date) < received_date
