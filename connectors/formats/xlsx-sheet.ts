// Scans the XML of a worksheet and of the shared strings without building a DOM: the sheet of a
// 500,000-row export is over half a gigabyte of XML, read here a piece at a time as it inflates,
// each piece holding whole rows (xlsx-pieces.ts). Cells become the text a CSV export would carry.
import { excelDateText, numberText } from './cell-text.js';
import type { Piece } from './xlsx-pieces.js';

/** What cells need from the rest of the workbook to become text. */
export type CellContext = {
  sharedStrings: readonly string[];
  /** By style index (a cell's `s`): whether that style's number format shows a date. */
  dateStyles: readonly boolean[];
  /** The workbook counts dates from 1904 (old Mac workbooks) instead of 1900. */
  date1904: boolean;
};

/** A row of the sheet: its number as Excel shows it, and its cells' text from column A, null where empty. */
export type SheetRow = { number: number; cells: (string | null)[] };

/** A range of merged cells: rows as Excel numbers them, columns from 0 for A, as in SheetRow. */
export type CellRange = { top: number; left: number; bottom: number; right: number };

/** A cell's `t`: number (the default), shared string, formula string, inline string, boolean, error, ISO date. */
type CellType = 'n' | 's' | 'str' | 'inlineStr' | 'b' | 'e' | 'd';

const SLASH = 0x2f;
const GREATER = 0x3e;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;

/**
 * Reads the rows of one sheet, piece after piece. Each character is looked at about once: after
 * a tag, the next `<` says what comes (a cell, a value, the end of the row).
 */
export class SheetScanner {
  /** The number of the last row, for a row that omits its own. */
  private lastRow = 0;
  private readonly tag = new Tag();
  /** The merged cells of the sheet, known once its rows are read: they are listed after them. */
  readonly mergedCells: CellRange[] = [];

  constructor(private readonly context: CellContext) {}

  /** The rows in a piece of sheet XML. */
  rows({ text: xml, from, to }: Piece): SheetRow[] {
    const rows: SheetRow[] = [];
    let end = from;
    for (let at = nextElement(xml, '<row', from); at >= 0 && at < to; at = nextElement(xml, '<row', at)) {
      const tag = this.tag.read(xml, at + 4);
      const number = tag.rStart >= 0 ? digitsValue(xml, tag.rStart, tag.rEnd) : this.lastRow + 1;
      this.lastRow = number;
      const cells: (string | null)[] = [];
      at = tag.selfClosing ? tag.end + 1 : this.readCells(xml, tag.end + 1, cells, number);
      end = at;
      rows.push({ number, cells });
    }
    // They follow the rows: only the text after the piece's last row is searched, nothing but
    // in the last piece (the others end with a row).
    this.readMergedCells(xml, end, to);
    return rows;
  }

  /** Adds the `<mergeCell ref="C2:C4"/>` elements between `from` and `to` to mergedCells. */
  private readMergedCells(xml: string, from: number, to: number): void {
    for (let at = nextElement(xml, '<mergeCell', from); at >= 0 && at < to; at = nextElement(xml, '<mergeCell', at + 1)) {
      const ref = /\bref\s*=\s*["']([A-Za-z]+)(\d+):([A-Za-z]+)(\d+)["']/.exec(xml.slice(at, find(xml, '>', at)));
      if (!ref) continue;
      const [left, right] = [ref[1]!, ref[3]!].map((letters) => columnIndex(letters, 0, letters.length));
      this.mergedCells.push({ top: Number(ref[2]), left: left!, bottom: Number(ref[4]), right: right! });
    }
  }

  /** Reads the cells of a row into `cells`; returns where the row ends. */
  private readCells(xml: string, from: number, cells: (string | null)[], row: number): number {
    for (let at = xml.indexOf('<', from); at >= 0; at = xml.indexOf('<', at)) {
      if (xml.charCodeAt(at + 1) === SLASH) return at + '</row>'.length;
      // The row's extension list, after its cells.
      if (!isElement(xml, at, 'c')) return find(xml, '</row>', at) + '</row>'.length;
      at = this.readCell(xml, at, cells, row);
    }
    throw new Error(`row ${row} of the sheet has no end`);
  }

  /** Reads the cell whose tag starts at `at` into its column of `cells`; returns where the cell ends. */
  private readCell(xml: string, at: number, cells: (string | null)[], row: number): number {
    const tag = this.tag.read(xml, at + 2);
    // A cell names its column (B3); one that does not follows the cell before it.
    const named = tag.rStart >= 0 ? columnIndex(xml, tag.rStart, tag.rEnd) : -1;
    const column = named >= 0 ? named : cells.length;
    const type = tag.type(xml);
    const style = tag.sStart >= 0 ? digitsValue(xml, tag.sStart, tag.sEnd) : 0;
    let value: string | null = null;
    let end = tag.end + 1;
    if (!tag.selfClosing) {
      for (let child = xml.indexOf('<', end); ; child = xml.indexOf('<', end)) {
        if (child < 0) throw new Error(`a cell of row ${row} of the sheet has no end`);
        if (xml.charCodeAt(child + 1) === SLASH) {
          end = child + '</c>'.length;
          break;
        }
        // Most children are a bare <v>: its end needs no search.
        const open = xml.charCodeAt(child + 2) === GREATER ? child + 2 : find(xml, '>', child);
        const empty = xml.charCodeAt(open - 1) === SLASH;
        if (isElement(xml, child, 'v')) {
          // A formula cell carries its last result in <v>, as any other cell does.
          const close = empty ? open : find(xml, '</v>', open);
          value = this.value(empty ? '' : xml.slice(open + 1, close), type, style);
          end = empty ? open + 1 : close + '</v>'.length;
        } else if (isElement(xml, child, 'is')) {
          const close = empty ? open : find(xml, '</is>', open);
          value = empty ? '' : decodeText(runsText(xml, open + 1, close));
          end = empty ? open + 1 : close + '</is>'.length;
        } else {
          end = endOfElement(xml, child, open);
        }
      }
    }
    // Missing cells are empty ones: every value keeps the position its column letters give it.
    while (cells.length < column) cells.push(null);
    cells[column] = value;
    return end;
  }

  /** The text of a cell's <v> (a number, a shared string's index, text…) as its type and style say. */
  private value(raw: string, type: CellType, style: number): string | null {
    switch (type) {
      case 's':
        return this.context.sharedStrings[Number.parseInt(raw, 10)] ?? null;
      case 'str':
      case 'inlineStr':
        return decodeText(raw);
      case 'e':
        return decodeXml(raw);
      case 'b':
        return raw === '' ? null : raw === '0' ? '0' : '1';
      case 'd':
        // An ISO 8601 date (t="d", written by some libraries, never by Excel), in the form of the other dates.
        return decodeXml(raw).slice(0, 19).replace('T', ' ');
      case 'n': {
        if (raw === '') return null;
        const number = Number.parseFloat(raw);
        if (Number.isNaN(number)) return decodeXml(raw);
        return this.context.dateStyles[style] ? excelDateText(number, this.context.date1904) : numberText(number);
      }
    }
  }
}

/**
 * The opening tag being read: where it ends, and where its `r`, `s` and `t` attributes sit in
 * the text (-1 when absent). One is reused for every tag, to spare an object per cell.
 */
class Tag {
  /** The position of the closing `>`. */
  end = 0;
  selfClosing = false;
  rStart = -1;
  rEnd = -1;
  sStart = -1;
  sEnd = -1;
  tStart = -1;
  tEnd = -1;

  /** Reads the attributes of the tag whose name ends just before `from`, up to its `>`. */
  read(xml: string, from: number): this {
    this.rStart = this.sStart = this.tStart = -1;
    // Character by character: names and values are a few characters long, shorter than the reach of an indexOf call.
    let i = from;
    for (;;) {
      let code = xml.charCodeAt(i);
      while (code <= 0x20) code = xml.charCodeAt(++i);
      if (code === GREATER || code === SLASH) break;
      if (Number.isNaN(code)) throw new Error('the sheet ends inside a tag');
      const name = i;
      while (code !== EQUALS && code > 0x20) code = xml.charCodeAt(++i);
      const nameLength = i - name;
      while (code !== QUOTE && code !== APOSTROPHE) {
        if (Number.isNaN(code)) throw new Error('the sheet ends inside a tag');
        code = xml.charCodeAt(++i);
      }
      const quote = code;
      const start = i + 1;
      do code = xml.charCodeAt(++i);
      while (code !== quote && !Number.isNaN(code));
      if (nameLength === 1) {
        const letter = xml.charCodeAt(name);
        if (letter === 0x72 /* r */) {
          this.rStart = start;
          this.rEnd = i;
        } else if (letter === 0x73 /* s */) {
          this.sStart = start;
          this.sEnd = i;
        } else if (letter === 0x74 /* t */) {
          this.tStart = start;
          this.tEnd = i;
        }
      }
      i++;
    }
    this.selfClosing = xml.charCodeAt(i) === SLASH;
    this.end = this.selfClosing ? i + 1 : i;
    return this;
  }

  /** The cell's type; an unknown one is read as a string, so its text is kept. */
  type(xml: string): CellType {
    if (this.tStart < 0) return 'n';
    if (this.tEnd - this.tStart === 1) {
      switch (xml.charCodeAt(this.tStart)) {
        case 0x6e:
          return 'n';
        case 0x73:
          return 's';
        case 0x62:
          return 'b';
        case 0x65:
          return 'e';
        case 0x64:
          return 'd';
      }
    }
    return this.tEnd - this.tStart === 9 && xml.startsWith('inlineStr', this.tStart) ? 'inlineStr' : 'str';
  }
}

/** Whether the tag at `at` (its `<`) is a `<name>` element, not one of a longer name. */
function isElement(xml: string, at: number, name: string): boolean {
  const next = xml.charCodeAt(at + 1 + name.length);
  return (next === GREATER || next === SLASH || next <= 0x20) && xml.startsWith(name, at + 1);
}

/** Where the element whose opening tag spans `at` to `open` ends (a formula, an extension). */
function endOfElement(xml: string, at: number, open: number): number {
  if (xml.charCodeAt(open - 1) === SLASH) return open + 1;
  let nameEnd = at + 1;
  while (nameEnd < open && xml.charCodeAt(nameEnd) > 0x20 && xml.charCodeAt(nameEnd) !== GREATER) nameEnd++;
  const close = `</${xml.slice(at + 1, nameEnd)}>`;
  return find(xml, close, open) + close.length;
}

/** The next `<name` opening tag at or after `from` (not `<name…` of a longer name); -1 if none. */
function nextElement(xml: string, name: string, from: number): number {
  for (let at = xml.indexOf(name, from); at >= 0; at = xml.indexOf(name, at + name.length)) {
    const next = xml.charCodeAt(at + name.length);
    if (next === GREATER || next === SLASH || next <= 0x20) return at;
  }
  return -1;
}

/** Where `tag` next occurs from `from`; a part whose XML ends before it is cut short. */
function find(xml: string, tag: string, from: number): number {
  const at = xml.indexOf(tag, from);
  if (at < 0) throw new Error(`its XML is cut short: no ${tag}`);
  return at;
}

/** The number written from `from` to `to` (a row number, a style index). */
function digitsValue(xml: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + xml.charCodeAt(i) - 0x30;
  return value;
}

/** "B3" → 1: the column letters of a cell reference, from 0 for A; -1 when there are none. */
function columnIndex(xml: string, from: number, to: number): number {
  let column = 0;
  for (let i = from; i < to; i++) {
    const code = xml.charCodeAt(i) | 0x20; // lower case
    if (code < 0x61 || code > 0x7a) break;
    column = column * 26 + code - 0x60;
  }
  return column - 1;
}

/**
 * The raw text of the `<t>` elements between `from` and `to`: a plain string (`<t>`) or rich
 * text (runs `<r><rPr/><t>` in several fonts). Phonetic runs (`<rPh>`, readings of East Asian
 * text) are not part of the value.
 */
function runsText(xml: string, from: number, to: number): string {
  // Searched within their own stretch: a search for a phonetic run that is not there would go on to the end of the piece.
  const runs = xml.slice(from, to);
  let text = '';
  let phonetic = nextElement(runs, '<rPh', 0);
  for (let at = nextElement(runs, '<t', 0); at >= 0; ) {
    if (phonetic >= 0 && phonetic < at) {
      const phoneticEnd = find(runs, '</rPh>', phonetic);
      if (at < phoneticEnd) at = nextElement(runs, '<t', phoneticEnd);
      phonetic = nextElement(runs, '<rPh', phoneticEnd);
      continue;
    }
    const open = find(runs, '>', at);
    if (runs.charCodeAt(open - 1) === SLASH) {
      at = nextElement(runs, '<t', open);
      continue;
    }
    const close = find(runs, '</t>', open);
    text += runs.slice(open + 1, close);
    at = nextElement(runs, '<t', close);
  }
  return text;
}

/** Appends to `into` the text of each shared string (`<si>`) of a piece of sharedStrings.xml. */
export function readSharedStrings({ text: xml, from, to }: Piece, into: string[]): void {
  for (let at = nextElement(xml, '<si', from); at >= 0 && at < to; ) {
    const open = find(xml, '>', at);
    if (xml.charCodeAt(open - 1) === SLASH) {
      into.push('');
      at = nextElement(xml, '<si', open);
      continue;
    }
    const close = find(xml, '</si>', open);
    into.push(decodeText(runsText(xml, open + 1, close)));
    at = nextElement(xml, '<si', close);
  }
}

const ENTITY = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML text with its character references (&amp; &#233; &#x1F;) replaced by the characters. */
export function decodeXml(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(ENTITY, (entity, hex?: string, decimal?: string, name?: string) => {
    if (name) return NAMED[name]!;
    const code = hex ? Number.parseInt(hex, 16) : Number(decimal);
    return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

const ESCAPED_CHARACTER = /_x([0-9a-fA-F]{4})_/g;

/** The text of a string cell: XML references, then the _xHHHH_ escapes Excel writes for characters XML cannot hold (a carriage return is _x000D_). */
function decodeText(raw: string): string {
  const text = decodeXml(raw);
  if (!text.includes('_x')) return text;
  return text.replace(ESCAPED_CHARACTER, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
