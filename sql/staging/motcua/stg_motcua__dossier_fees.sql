/*
description: >
  Phí, lệ phí: the fees charged on a dossier. Filled from the sync API (the nested list DanhSachLePhi of each dossier's latest version);
  empty for dossiers that came only as flat exports.
grain: one row per dossier and fee
columns:
  dossier_id: Mã hồ sơ
  fee_code: Mã phí, lệ phí
  fee_name: Tên phí, lệ phí
  amount_vnd: Amount, đồng
  collection: Hình thức thu
*/
with latest_versions as (
    select dossier_id, _load_id, _row from staging.stg_motcua__dossiers
),

items as (
    select v.dossier_id, unnest(json_extract(r.record_json, '$.DanhSachLePhi[*]')) as item
    from latest_versions as v
    inner join raw.motcua__dossiers as r using (_load_id, _row)
    where r.record_json is not null
),

final as (
    select
        dossier_id,
        item ->> 'MaPhiLePhi' as fee_code,
        item ->> 'TenPhiLePhi' as fee_name,
        (item ->> 'Gia')::decimal(18, 2) as amount_vnd,
        item ->> 'HinhThucThu' as collection
    from items
)

select * from final
