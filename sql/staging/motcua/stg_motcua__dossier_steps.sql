/*
description: >
  Quá trình xử lý: the processing steps of a dossier, each with the status it reached. From the nested list QuaTrinhXuLy of each dossier's latest version
  (stg_motcua__dossier_lists); empty for dossiers that came only as flat exports.
grain: one row per dossier and processing step
columns:
  dossier_id: Mã hồ sơ
  step_at: Thời điểm xử lý
  department: Phòng ban xử lý, as exported
  status_code: The status reached, 1–10
*/
select
    dossier_id,
    vn_timestamp(item ->> 'ThoiDiemXuLy') as step_at,
    item ->> 'PhongBanXuLy' as department,
    (item ->> 'TrangThai')::integer as status_code
from (select dossier_id, json_items(steps) as item from staging.stg_motcua__dossier_lists)
