import { describe, expect, it } from 'vitest';
import { headerKey, mapHeaders } from '../../connectors/headers.js';
import { motcua } from '../../connectors/motcua.js';
import { SourceFileError } from '../../pipelines/errors.js';

const dossiers = motcua.tables.dossiers!;
const required = ['Mã hồ sơ', 'Mã TTHC', 'Đơn vị tiếp nhận', 'Kênh nộp', 'Ngày tiếp nhận', 'Ngày hẹn trả', 'Trạng thái', 'Ngày cập nhật'];

describe('header aliases', () => {
  it('reduce a header to the same key whatever its diacritics, case, Unicode form or CamelCase spelling', () => {
    const spellings = ['Ngày tiếp nhận', 'NGÀY TIẾP NHẬN', 'ngay tiep nhan', 'Ngày tiếp nhận'.normalize('NFD'), 'NgayTiepNhan', '\uFEFFNgày tiếp nhận', ' Ngày  tiếp-nhận '];
    expect(new Set(spellings.map(headerKey))).toEqual(new Set(['ngay_tiep_nhan']));
    expect(headerKey('Số hoá hồ sơ')).toBe(headerKey('Số hóa hồ sơ'));
    expect(headerKey('Phí, lệ phí')).toBe(headerKey('PhiLePhi'));
  });

  it('map an export header to canonical columns, keeping unknown columns out', () => {
    const mapping = mapHeaders('f.csv', [...required, 'Ghi chú nội bộ'], dossiers);
    expect(mapping.names).toEqual(['dossier_id', 'procedure_code', 'receiving_unit', 'channel', 'received_at', 'due_at', 'status', 'updated_at', '_extra_9']);
    expect(mapping.unknown).toEqual(['Ghi chú nội bộ']);
    expect(mapping.original.get('received_at')).toBe('Ngày tiếp nhận');
  });

  it('take extra spellings from the config', () => {
    const headers = required.map((h) => (h === 'Mã hồ sơ' ? 'Số biên nhận' : h));
    expect(() => mapHeaders('f.csv', headers, dossiers)).toThrow(/dossier_id/);
    expect(mapHeaders('f.csv', headers, dossiers, { dossier_id: ['Số biên nhận'] }).names[0]).toBe('dossier_id');
  });

  it('name the file and every missing required column, and say what to do', () => {
    const error = catchError(() => mapHeaders('ho-so-2024-W05.csv', ['Mã hồ sơ', 'Trạng thái'], dossiers));
    expect(error).toBeInstanceOf(SourceFileError);
    expect(error.describe()).toMatchInlineSnapshot(`
      "ho-so-2024-W05.csv: missing required columns receiving_unit (e.g. "Đơn vị tiếp nhận"), channel (e.g. "Kênh nộp"), received_at (e.g. "Ngày tiếp nhận"), due_at (e.g. "Ngày hẹn trả"), updated_at (e.g. "Ngày cập nhật")
        → re-export the file with these columns, or, if the file names it differently, add that header under sources.<source>.header_aliases in the config"
    `);
  });

  it('refuse two columns that mean the same thing', () => {
    expect(() => mapHeaders('f.csv', [...required, 'MaHoSo'], dossiers)).toThrow(/"Mã hồ sơ" and "MaHoSo" \(position 9\) both mean dossier_id/);
  });
});

function catchError(f: () => unknown): SourceFileError {
  try {
    f();
  } catch (error) {
    return error as SourceFileError;
  }
  throw new Error('expected an error');
}
