// The foot of every form: the place and date, then who drew the table up and the head of the
// unit, each with room to sign (and, for the head, to stamp), as official reports end.
import type ExcelJS from 'exceljs';
import { fitRow, linesOf, span, sum } from './cells.js';

const DRAWN_BY = { title: 'NGƯỜI LẬP BIỂU', hint: '(Ký, ghi rõ họ tên)' };
const HEAD = { title: 'THỦ TRƯỞNG ĐƠN VỊ', hint: '(Ký tên, đóng dấu)' };
/** About 2.5 cm: a signature with the seal over it, and the name written under. */
const ROOM_TO_SIGN = 72;

/** Writes the block from `firstRow` under the columns of `widths`; returns its last row. */
export function writeSignatures(ws: ExcelJS.Worksheet, firstRow: number, placeAndDate: string, widths: number[]): number {
  // The drawer signs under the left half of the table, the head under the right half.
  const half = Math.max(1, Math.floor(widths.length / 2));
  const left: [number, number] = [1, half];
  const right: [number, number] = [Math.min(half + 1, widths.length), widths.length];
  const units = (range: [number, number]) => sum(widths.slice(range[0] - 1, range[1]));
  const lines: { left?: string; right?: string; font: Partial<ExcelJS.Font> }[] = [
    { right: placeAndDate, font: { italic: true } },
    { left: DRAWN_BY.title, right: HEAD.title, font: { bold: true } },
    { left: DRAWN_BY.hint, right: HEAD.hint, font: { italic: true } },
  ];
  lines.forEach((line, i) => {
    const row = firstRow + i;
    if (line.left) span(ws, row, left, line.left, { font: line.font });
    if (line.right) span(ws, row, right, line.right, { font: line.font });
    const linesIn = (text: string | undefined, range: [number, number]) => (text ? linesOf(text, units(range), line.font) : 1);
    fitRow(ws, row, Math.max(linesIn(line.left, left), linesIn(line.right, right)), line.font);
  });
  const room = firstRow + lines.length;
  ws.getRow(room).height = ROOM_TO_SIGN;
  return room;
}
