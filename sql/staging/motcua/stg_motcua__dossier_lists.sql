/*
description: >
  The nested lists of each dossier's latest version, as the sync API sent them (JSON): the
  documents submitted, the fees, the results, the supplement requests and the processing
  steps. The staging models of each list unnest them. Only the keys they read are kept: any
  other key a vendor adds (a file name, an officer's name, a note) stays in raw, so no
  personal data reaches staging or the snapshot. Empty for dossiers that came only as flat
  exports.
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
        -- json_transform keeps the named keys, each as the JSON value it was.
        to_json(json_transform(json_extract(r.record_json, '$.TaiLieuNop'),
            '[{"MaThanhPhanHoSo": "JSON", "DuocSoHoa": "JSON", "DuocTaiSuDung": "JSON", "DuocLayTuKhoDMQG": "JSON"}]')) as submitted_files,
        to_json(json_transform(json_extract(r.record_json, '$.DanhSachLePhi'),
            '[{"MaPhiLePhi": "JSON", "TenPhiLePhi": "JSON", "Gia": "JSON", "HinhThucThu": "JSON"}]')) as fees,
        to_json(json_transform(json_extract(r.record_json, '$.DanhSachGiayToKetQua'),
            '[{"TenGiayTo": "JSON", "CoTepDienTu": "JSON"}]')) as results,
        to_json(json_transform(json_extract(r.record_json, '$.DanhSachHoSoBoSung'),
            '[{"NgayBoSung": "JSON", "NgayHenTraTruoc": "JSON", "NgayHenTraMoi": "JSON"}]')) as supplements,
        to_json(json_transform(json_extract(r.record_json, '$.QuaTrinhXuLy'),
            '[{"ThoiDiemXuLy": "JSON", "PhongBanXuLy": "JSON", "TrangThai": "JSON"}]')) as steps
    from latest_versions as v
    inner join raw.motcua__dossiers as r using (_load_id, _row)
    where r.record_json is not null
)

select * from final
