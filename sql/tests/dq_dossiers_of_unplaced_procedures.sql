/*
description: >
  Data quality: dossiers received for a procedure the catalogue does not list, by its code or,
  for an export without codes, by its name. They count in Biểu 06 and in digitization, but not
  in the online-service rate, which needs to know whether the procedure is offered online: add
  the procedure to the catalogue export, or correct its name or code in the source system.
severity: warn
*/
select dossier_id, unit_code, procedure_code, received_date
from intermediate.int_dossiers_classified
where not is_procedure_placed
