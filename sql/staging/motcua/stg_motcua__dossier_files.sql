/*
description: >
  Thành phần hồ sơ: the documents submitted with a dossier, and whether each was digitized. Filled from the sync API (the nested list TaiLieuNop of each dossier's latest version);
  empty for dossiers that came only as flat exports.
grain: one row per dossier and submitted document
columns:
  dossier_id: Mã hồ sơ
  component_code: Mã thành phần hồ sơ
  is_digitized: The document was digitized (được số hóa)
  is_reused: Reused from an earlier dossier (được tái sử dụng)
  from_national_data_store: Taken from the national data store (lấy từ kho dữ liệu)
*/
with latest_versions as (
    select dossier_id, _load_id, _row from staging.stg_motcua__dossiers
),

items as (
    select v.dossier_id, unnest(json_extract(r.record_json, '$.TaiLieuNop[*]')) as item
    from latest_versions as v
    inner join raw.motcua__dossiers as r using (_load_id, _row)
    where r.record_json is not null
),

final as (
    select
        dossier_id,
        item ->> 'MaThanhPhanHoSo' as component_code,
        (item ->> 'DuocSoHoa')::boolean as is_digitized,
        (item ->> 'DuocTaiSuDung')::boolean as is_reused,
        (item ->> 'DuocLayTuKhoDMQG')::boolean as from_national_data_store
    from items
)

select * from final
