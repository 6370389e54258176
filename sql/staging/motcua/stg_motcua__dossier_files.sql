/*
description: >
  Thành phần hồ sơ: the documents submitted with a dossier, and whether each was digitized. From the nested list TaiLieuNop of each dossier's latest version
  (stg_motcua__dossier_lists); empty for dossiers that came only as flat exports.
grain: one row per dossier and submitted document
columns:
  dossier_id: Mã hồ sơ
  component_code: Mã thành phần hồ sơ
  is_digitized: The document was digitized (được số hóa)
  is_reused: Reused from an earlier dossier (được tái sử dụng)
  from_national_data_store: Taken from the national data store (lấy từ kho dữ liệu)
*/
select
    dossier_id,
    item ->> 'MaThanhPhanHoSo' as component_code,
    (item ->> 'DuocSoHoa')::boolean as is_digitized,
    (item ->> 'DuocTaiSuDung')::boolean as is_reused,
    (item ->> 'DuocLayTuKhoDMQG')::boolean as from_national_data_store
from (select dossier_id, json_items(submitted_files) as item from staging.stg_motcua__dossier_lists)
