/*
description: >
  Quá trình xử lý: the processing steps of a dossier, each with the status it reached. Filled from the sync API (the nested list QuaTrinhXuLy of each dossier's latest version);
  empty for dossiers that came only as flat exports.
grain: one row per dossier and processing step
columns:
  dossier_id: Mã hồ sơ
  step_at: Thời điểm xử lý
  department: Phòng ban xử lý, as exported
  status_code: The status reached, 1–10
*/
with latest_versions as (
    select dossier_id, _load_id, _row from staging.stg_motcua__dossiers
),

items as (
    select v.dossier_id, unnest(json_extract(r.record_json, '$.QuaTrinhXuLy[*]')) as item
    from latest_versions as v
    inner join raw.motcua__dossiers as r using (_load_id, _row)
    where r.record_json is not null
),

final as (
    select
        dossier_id,
        vn_timestamp(item ->> 'ThoiDiemXuLy') as step_at,
        item ->> 'PhongBanXuLy' as department,
        (item ->> 'TrangThai')::integer as status_code
    from items
)

select * from final
