/*
description: >
  Giấy tờ kết quả: the results issued on a dossier, and whether each has an electronic file (a digitized result). From the nested list DanhSachGiayToKetQua of each dossier's latest version
  (stg_motcua__dossier_lists); empty for dossiers that came only as flat exports.
grain: one row per dossier and result document
columns:
  dossier_id: Mã hồ sơ
  result_name: Tên giấy tờ kết quả
  has_electronic_file: Issued with an electronic file
*/
select
    dossier_id,
    item ->> 'TenGiayTo' as result_name,
    (item ->> 'CoTepDienTu')::boolean as has_electronic_file
from (select dossier_id, json_items(results) as item from staging.stg_motcua__dossier_lists)
