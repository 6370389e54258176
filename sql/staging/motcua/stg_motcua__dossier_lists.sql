/*
description: >
  The nested lists of each dossier's latest version, as the sync API sent them (JSON): the
  documents submitted, the fees, the results, the supplement requests and the processing
  steps. The staging models of each list unnest them; none of them holds personal data.
  Empty for dossiers that came only as flat exports.
grain: one row per dossier pulled from the sync API
primary_key: [dossier_id]
columns:
  dossier_id: Mã hồ sơ
  submitted_files: TaiLieuNop, the documents submitted
  fees: DanhSachLePhi, the fees
  results: DanhSachGiayToKetQua, the results issued
  supplements: DanhSachHoSoBoSung, the supplement requests
  steps: QuaTrinhXuLy, the processing steps
*/
with latest_versions as (
    select dossier_id, _load_id, _row from staging.stg_motcua__dossiers
),

final as (
    select
        v.dossier_id,
        json_extract(r.record_json, '$.TaiLieuNop') as submitted_files,
        json_extract(r.record_json, '$.DanhSachLePhi') as fees,
        json_extract(r.record_json, '$.DanhSachGiayToKetQua') as results,
        json_extract(r.record_json, '$.DanhSachHoSoBoSung') as supplements,
        json_extract(r.record_json, '$.QuaTrinhXuLy') as steps
    from latest_versions as v
    inner join raw.motcua__dossiers as r using (_load_id, _row)
    where r.record_json is not null
)

select * from final
