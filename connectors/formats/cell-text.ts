// The text a CSV export would carry for a spreadsheet value: numbers with a decimal comma,
// dates as `yyyy-mm-dd hh:mm:ss`, booleans as 1 and 0.

/** The text of a cell as exceljs hands it over (the budget workbooks are read with exceljs); null for an empty cell. */
export function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return isoText(value);
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'object') {
    const cell = value as { richText?: { text: string }[]; result?: unknown; text?: unknown; error?: unknown };
    if (cell.richText) return cell.richText.map((part) => part.text).join('');
    if ('result' in cell) return cellText(cell.result);
    if (cell.text !== undefined) return cellText(cell.text);
    if (cell.error !== undefined) return String(cell.error);
  }
  return String(value);
}

/** 12 → "12", 1234.5 → "1234,5": the decimal comma of the Vietnamese exports. */
export function numberText(value: number): string {
  return Number.isInteger(value) ? String(value) : String(value).replace('.', ',');
}

const MS_PER_DAY = 24 * 3600 * 1000;
/** Day 0 of Excel's 1900 date system (30 Dec 1899, which absorbs Excel's fictitious 29 Feb 1900), in days since 1970. */
const EXCEL_1900_EPOCH = -25569;
/** The 1904 date system (old Mac workbooks) counts from 1 Jan 1904, 1462 days later. */
const EXCEL_1904_EPOCH = EXCEL_1900_EPOCH + 1462;
/** Years 0000 to 9999: the ones `toISOString` writes in four digits. */
const FIRST_MS = Date.parse('0000-01-01T00:00:00Z');
const LAST_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** An Excel date serial (days, with the time as the fraction) as `yyyy-mm-dd hh:mm:ss`, the way exceljs reads it. */
export function excelDateText(serial: number, date1904: boolean): string {
  const ms = Math.round((serial + (date1904 ? EXCEL_1904_EPOCH : EXCEL_1900_EPOCH)) * MS_PER_DAY);
  // A serial no calendar can show (Excel itself prints ####) keeps its number rather than failing the file.
  if (!(ms >= FIRST_MS && ms <= LAST_MS)) return numberText(serial);
  return isoText(new Date(ms));
}

function isoText(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
