/*
description: >
  Data quality: received dossiers without a due date (Ngày hẹn trả). They are counted as
  resolved on time, and never as overdue.
severity: warn
*/
select dossier_id, unit_code, procedure_code, received_date
from intermediate.int_dossiers_classified
where due_date is null
