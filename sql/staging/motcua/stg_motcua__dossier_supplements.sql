/*
description: >
  Hồ sơ bổ sung: supplement requests on a dossier, each of which moved its due date. Filled from the sync API (the nested list DanhSachHoSoBoSung of each dossier's latest version);
  empty for dossiers that came only as flat exports.
grain: one row per dossier and supplement request
columns:
  dossier_id: Mã hồ sơ
  requested_at: Ngày yêu cầu bổ sung
  due_before: Ngày hẹn trả before the request
  due_after: Ngày hẹn trả after it
*/
with latest_versions as (
    select dossier_id, _load_id, _row from staging.stg_motcua__dossiers
),

items as (
    select v.dossier_id, unnest(json_extract(r.record_json, '$.DanhSachHoSoBoSung[*]')) as item
    from latest_versions as v
    inner join raw.motcua__dossiers as r using (_load_id, _row)
    where r.record_json is not null
),

final as (
    select
        dossier_id,
        vn_timestamp(item ->> 'NgayBoSung') as requested_at,
        vn_timestamp(item ->> 'NgayHenTraTruoc') as due_before,
        vn_timestamp(item ->> 'NgayHenTraMoi') as due_after
    from items
)

select * from final
