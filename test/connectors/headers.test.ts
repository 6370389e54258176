import { describe, expect, it } from 'vitest';
import { checkHeaderAliases, headerKey, isColumnNumberRow, locateHeader, mapHeaders } from '../../connectors/headers.js';
import { motcua } from '../../connectors/motcua.js';
import { SourceFileError } from '../../core/errors.js';

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

describe('finding the header where forms put it', () => {
  const flat = [...required, 'Tên thủ tục'];
  const record = ['HS-1', '1.000001', 'Phòng Tư pháp', 'Trực tuyến', '02/01/2024', '10/01/2024', 'Đã tiếp nhận', '02/01/2024', 'Đăng ký khai sinh'];

  it('takes the first row of a plain export, and its records from the second', () => {
    const layout = locateHeader('f.csv', [flat, record], dossiers);
    expect(layout).toMatchObject({ headerRow: 0, headerRows: 1, dataRow: 1 });
    expect(layout.mapping.names.slice(0, 2)).toEqual(['dossier_id', 'procedure_code']);
  });

  it('finds the header under a title block, and skips the row of column numbers under it', () => {
    const title = [['UBND THÀNH PHỐ ĐỒNG HỚI', '', ''], ['SỔ THEO DÕI HỒ SƠ'], ['Từ ngày 01/01/2024 đến ngày 07/01/2024'], []];
    const numbers = flat.map((_, i) => `(${i + 1})`);
    expect(locateHeader('f.xlsx', [...title, flat, numbers, record], dossiers)).toMatchObject({ headerRow: 4, headerRows: 1, dataRow: 6 });
  });

  it('reads a header over two rows: a parent merged over its children, and cells merged down both rows', () => {
    const parents = ['STT', 'Mã hồ sơ', 'Mã TTHC', 'Cơ quan tiếp nhận', 'Hình thức nộp', 'Ngày, tháng, năm', '', '', 'Trạng thái', 'Ngày cập nhật'];
    const children = ['', '', '', '', '', 'Nhận hồ sơ', 'Hẹn trả kết quả', 'Trả kết quả', '', ''];
    const layout = locateHeader('f.xlsx', [['SỔ THEO DÕI HỒ SƠ'], parents, children, ['1', ...record]], dossiers);
    expect(layout).toMatchObject({ headerRow: 1, headerRows: 2, dataRow: 3 });
    expect(layout.mapping.names).toEqual(['_extra_1', 'dossier_id', 'procedure_code', 'receiving_unit', 'channel', 'received_at', 'due_at', 'result_returned_at', 'status', 'updated_at']);
    expect(layout.mapping.original.get('due_at')).toBe('Hẹn trả kết quả');
  });

  it('names the parent with the child when only both together name a column', () => {
    const budgetLike = { ...dossiers, columns: [...dossiers.columns, { name: 'estimate_rate', type: 'text' as const, aliases: ['So sánh dự toán'], description: '' }] };
    const layout = locateHeader('f.xlsx', [[...flat, 'So sánh'], [...flat.map(() => ''), 'Dự toán']], budgetLike);
    expect(layout.mapping.original.get('estimate_rate')).toBe('So sánh Dự toán');
  });

  it('falls back to the first row when no row names two columns, so that the error says what it lacks', () => {
    expect(() => locateHeader('f.csv', [['Báo cáo'], ['a', 'b']], dossiers)).toThrow(/^f\.csv: missing required columns dossier_id/);
  });

  it('tells a row of column numbers from a record', () => {
    expect(isColumnNumberRow(['(1)', '(2)', '(3)'])).toBe(true);
    expect(isColumnNumberRow(['A', 'B', '1', '2', '3', '4=3/1', '5'])).toBe(true);
    expect(isColumnNumberRow(['(5)=(3)/(1)', '(6)=(4)x100'])).toBe(true);
    expect(isColumnNumberRow(['A', 'TỔNG THU', '100'])).toBe(false);
    expect(isColumnNumberRow(['1', '2024', '3'])).toBe(false);
    expect(isColumnNumberRow(['1', '', ''])).toBe(false);
  });
});

describe('header spellings of the config', () => {
  it('win over a built-in spelling of another column', () => {
    const headers = ['Mã hồ sơ', 'Mã TTHC', 'Đơn vị xử lý', 'Kênh nộp', 'Ngày tiếp nhận', 'Ngày hẹn trả', 'Trạng thái', 'Ngày cập nhật'];
    expect(mapHeaders('f.csv', headers, dossiers, { receiving_unit: ['Đơn vị xử lý'] }).names[2]).toBe('receiving_unit');
  });

  it('are refused when two columns are given one spelling, or a column the source does not have', () => {
    expect(() => checkHeaderAliases('motcua', Object.values(motcua.tables), { dossier_id: ['Số biên nhận'], procedure_code: ['so bien nhan'] })).toThrow(
      'sources.motcua.header_aliases: "so bien nhan" is given to both dossier_id and procedure_code (table dossiers)',
    );
    expect(() => checkHeaderAliases('motcua', Object.values(motcua.tables), { dossier_code: ['Số biên nhận'] })).toThrow(/sources\.motcua\.header_aliases\.dossier_code: motcua has no column dossier_code/);
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
