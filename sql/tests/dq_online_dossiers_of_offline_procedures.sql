/*
description: >
  Data quality: dossiers received online for procedures the catalogue does not list as online
  services (level 3 or 4). They count as received online in Biểu 06 but not in the
  online-service rate; the catalogue or the channel may be wrong.
severity: warn
*/
select dossier_id, unit_code, procedure_code, received_date
from intermediate.int_dossiers_classified
where is_online and not is_online_procedure
