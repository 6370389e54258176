/*
description: >
  Data quality: dossiers due before they were received (a due date typed wrong, or moved back
  too far). They count as late, or overdue, from the day they arrive.
severity: warn
*/
select dossier_id, unit_code, received_date, due_date
from intermediate.int_dossiers_classified
where due_date < received_date
