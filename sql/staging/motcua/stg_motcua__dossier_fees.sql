/*
description: >
  Phí, lệ phí: the fees charged on a dossier. From the nested list DanhSachLePhi of each dossier's latest version
  (stg_motcua__dossier_lists); empty for dossiers that came only as flat exports.
grain: one row per dossier and fee
columns:
  dossier_id: Mã hồ sơ
  fee_code: Mã phí, lệ phí
  fee_name: Tên phí, lệ phí
  amount_vnd: Amount, đồng
  collection: Hình thức thu
*/
select
    dossier_id,
    item ->> 'MaPhiLePhi' as fee_code,
    item ->> 'TenPhiLePhi' as fee_name,
    (item ->> 'Gia')::decimal(18, 2) as amount_vnd,
    item ->> 'HinhThucThu' as collection
from (select dossier_id, json_items(fees) as item from staging.stg_motcua__dossier_lists)
