/*
description: >
  Hồ sơ bổ sung: supplement requests on a dossier, each of which moved its due date. From the nested list DanhSachHoSoBoSung of each dossier's latest version
  (stg_motcua__dossier_lists); empty for dossiers that came only as flat exports.
grain: one row per dossier and supplement request
columns:
  dossier_id: Mã hồ sơ
  requested_at: Ngày yêu cầu bổ sung
  due_before: Ngày hẹn trả before the request
  due_after: Ngày hẹn trả after it
*/
select
    dossier_id,
    vn_timestamp(item ->> 'NgayBoSung') as requested_at,
    vn_timestamp(item ->> 'NgayHenTraTruoc') as due_before,
    vn_timestamp(item ->> 'NgayHenTraMoi') as due_after
from (select dossier_id, json_items(supplements) as item from staging.stg_motcua__dossier_lists)
