/*
description: >
  Giấy tờ kết quả: the results issued on a dossier, and whether each has an electronic file (a digitized result). Filled from the sync API (the nested list DanhSachGiayToKetQua of each dossier's latest version);
  empty for dossiers that came only as flat exports.
grain: one row per dossier and result document
columns:
  dossier_id: Mã hồ sơ
  result_name: Tên giấy tờ kết quả
  has_electronic_file: Issued with an electronic file
*/
with latest_versions as (
    select dossier_id, _load_id, _row from staging.stg_motcua__dossiers
),

items as (
    select v.dossier_id, unnest(json_extract(r.record_json, '$.DanhSachGiayToKetQua[*]')) as item
    from latest_versions as v
    inner join raw.motcua__dossiers as r using (_load_id, _row)
    where r.record_json is not null
),

final as (
    select
        dossier_id,
        item ->> 'TenGiayTo' as result_name,
        (item ->> 'CoTepDienTu')::boolean as has_electronic_file
    from items
)

select * from final
