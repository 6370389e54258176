// Opens an XLSX file, a zip of XML parts, and streams the rows of its first sheet. yauzl reads
// the zip's central directory first, so each part is opened wherever the writer put it: the shared
// strings and the styles are read before the sheet even when they come after it in the zip.
import { posix } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { piecesEndingWith } from './xlsx-pieces.js';
import { decodeXml, readSharedStrings, SheetScanner, type CellContext, type CellRange, type SheetRow } from './xlsx-sheet.js';

const WORKBOOK = 'xl/workbook.xml';
const WORKBOOK_RELATIONSHIPS = 'xl/_rels/workbook.xml.rels';
const HIDDEN = new Set(['hidden', 'veryHidden']);

/**
 * The rows of the first sheet of the workbook (the first visible one in the workbook's own
 * order), a few at a time as the sheet inflates; the ranges of its merged cells, which the
 * sheet lists after its rows, are added to `mergedCells` once the rows are read. Throws a plain
 * Error when the file is no workbook.
 */
export async function* firstSheetRows(path: string, mergedCells: CellRange[] = []): AsyncGenerator<SheetRow[]> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
  try {
    const parts = new Map<string, yauzl.Entry>();
    for await (const entry of zip.eachEntry()) parts.set(entry.fileName, entry);
    const open = (name: string): AsyncIterable<Buffer> => inflated(zip, parts.get(name)!);

    if (!parts.has(WORKBOOK)) throw new Error(`it has no ${WORKBOOK}`);
    const workbook = await text(open(WORKBOOK));
    // Not a hidden one: exporting systems hide the lists their drop-downs offer in sheets of
    // their own, sometimes first; the export is the sheet a person opening the file sees.
    const sheets = elements(workbook, 'sheet');
    const sheet = sheets.find((s) => !HIDDEN.has(s.get('state') ?? '')) ?? sheets[0];
    if (!sheet) throw new Error('its workbook lists no sheet');
    const relationships = parts.has(WORKBOOK_RELATIONSHIPS) ? relationshipsOf(await text(open(WORKBOOK_RELATIONSHIPS))) : [];
    const sheetId = [...sheet].find(([name]) => name.endsWith(':id'))?.[1];
    const sheetPart = relationships.find((r) => r.id === sheetId)?.part;
    if (!sheetPart || !parts.has(sheetPart)) throw new Error(`the part of its first sheet, "${sheet.get('name') ?? ''}", is missing`);

    const stringsPart = relationships.find((r) => r.type.endsWith('/sharedStrings'))?.part;
    const sharedStrings: string[] = [];
    if (stringsPart && parts.has(stringsPart)) {
      for await (const piece of piecesEndingWith(open(stringsPart), '</si>')) readSharedStrings(piece, sharedStrings);
    }
    const stylesPart = relationships.find((r) => r.type.endsWith('/styles'))?.part;
    const context: CellContext = {
      sharedStrings,
      dateStyles: stylesPart && parts.has(stylesPart) ? dateStyles(await text(open(stylesPart))) : [],
      date1904: ['1', 'true'].includes(firstElement(workbook, 'workbookPr')?.get('date1904') ?? ''),
    };

    const scanner = new SheetScanner(context);
    for await (const piece of piecesEndingWith(open(sheetPart), '</row>')) yield scanner.rows(piece);
    mergedCells.push(...scanner.mergedCells);
  } finally {
    zip.close();
  }
}

/**
 * Opens the zip's directory and refuses a workbook with a part that would inflate like a zip
 * bomb (see refuseZipBomb), for readers that inflate every part themselves (exceljs).
 */
export async function refuseZipBombs(path: string): Promise<void> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  try {
    for await (const entry of zip.eachEntry()) refuseZipBomb(entry);
  } finally {
    zip.close();
  }
}

/**
 * Exports compress 5 to 30 times; a zip bomb, made to exhaust memory, about 1,000 times (the
 * most deflate can). A part that would inflate more than MAX_INFLATE_RATIO times is refused
 * before any of it is read, as Apache POI does; one of up to RATIO_FREE_BYTES cannot exhaust
 * anything, whatever its ratio. The sizes are the zip's word: inflated() also stops a part at
 * the size it declares.
 */
const MAX_INFLATE_RATIO = 100;
const RATIO_FREE_BYTES = 16 * 1024 * 1024;

function refuseZipBomb(entry: yauzl.Entry): void {
  const { fileName, compressedSize, uncompressedSize } = entry;
  if (uncompressedSize <= RATIO_FREE_BYTES || uncompressedSize <= MAX_INFLATE_RATIO * compressedSize) return;
  const ratio = Math.round(uncompressedSize / compressedSize).toLocaleString('en-US');
  throw new Error(
    `its part ${fileName} would inflate ${ratio} times, from ${sizeText(compressedSize)} to ${sizeText(uncompressedSize)}: ` +
      `a zip bomb, made to exhaust memory (no export compresses more than ${MAX_INFLATE_RATIO} times)`,
  );
}

function sizeText(bytes: number): string {
  if (bytes < 1024 * 1024) return `${bytes.toLocaleString('en-US')} bytes`;
  return `${(bytes / 1024 / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;
}

/**
 * Parts are inflated here rather than by yauzl, whose stream inflates 16 KiB at a time and only
 * once the last 16 KiB were taken: the sheet waited for zlib, then zlib for the sheet. Larger
 * chunks, with room for a few ahead, let zlib inflate on its thread while the scanner reads.
 */
const INFLATE = { chunkSize: 256 * 1024, highWaterMark: 1024 * 1024 };
const DEFLATE = 8;

/** The bytes of a part, inflated; no more than the zip declares. */
async function* inflated(zip: yauzl.ZipFile, entry: yauzl.Entry): AsyncGenerator<Buffer> {
  refuseZipBomb(entry);
  // Stored parts, and any yauzl cannot decode, are left to yauzl (which says what it cannot read,
  // and checks their sizes).
  if (entry.compressionMethod !== DEFLATE || !entry.canDecodeFileData()) {
    yield* (await zip.openReadStreamPromise(entry)) as AsyncIterable<Buffer>;
    return;
  }
  const compressed = await zip.openReadStreamPromise(entry, { decodeFileData: false });
  // pipeline hands an error of either stream to the inflating one, whose reader then throws it.
  const bytes = pipeline(compressed, createInflateRaw(INFLATE), () => {}) as Readable & AsyncIterable<Buffer>;
  let total = 0;
  for await (const chunk of bytes) {
    total += chunk.length;
    // A zip that understates a part's size would get past refuseZipBomb: it is stopped here.
    if (total > entry.uncompressedSize) {
      throw new Error(`its part ${entry.fileName} inflates to more than the ${sizeText(entry.uncompressedSize)} its zip declares`);
    }
    yield chunk;
  }
}

async function text(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

type Relationship = { id: string; type: string; part: string };

/** The workbook's relationships, with targets as paths inside the zip (they are relative to xl/). */
function relationshipsOf(xml: string): Relationship[] {
  return elements(xml, 'Relationship').map((r) => {
    const target = r.get('Target') ?? '';
    const part = target.startsWith('/') ? target.slice(1) : posix.join('xl', target);
    return { id: r.get('Id') ?? '', type: r.get('Type') ?? '', part };
  });
}

/** Built-in number formats that show a date or a time (ECMA-376 §18.8.30). */
const DATE_FORMAT_IDS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]);

/** Whether each cell style (`cellXfs`, by index) shows its number as a date. */
export function dateStyles(xml: string): boolean[] {
  const formats = new Map(elements(xml, 'numFmt').map((f) => [Number(f.get('numFmtId')), f.get('formatCode') ?? '']));
  const cellXfs = /<(?:\w+:)?cellXfs\b[^>]*>([\s\S]*?)<\/(?:\w+:)?cellXfs>/.exec(xml)?.[1] ?? '';
  return elements(cellXfs, 'xf').map((xf) => {
    const id = Number(xf.get('numFmtId') ?? 0);
    const code = formats.get(id);
    return code === undefined ? DATE_FORMAT_IDS.has(id) : isDateFormat(code);
  });
}

/**
 * Whether a number format code shows a date or a time: d, m, y, h or s outside quoted text
 * ("Ngày" d), brackets ([Red], [$-42A], but [h] is a time) and escaped characters (\d, _d, *d).
 */
export function isDateFormat(code: string): boolean {
  const bare = code.replace(/\[(h+|m+|s+)\]/gi, '$1').replace(/"[^"]*"|\[[^\]]*\]|[\\_*]./g, '');
  return /[dmyhs]/i.test(bare);
}

/** The attributes of each `<name …>` element of a small XML part, decoded. */
function elements(xml: string, name: string): Map<string, string>[] {
  const tag = new RegExp(`<(?:\\w+:)?${name}\\b([^>]*)>`, 'g');
  return [...xml.matchAll(tag)].map((match) => attributes(match[1]!));
}

function firstElement(xml: string, name: string): Map<string, string> | undefined {
  const match = new RegExp(`<(?:\\w+:)?${name}\\b([^>]*)>`).exec(xml);
  return match ? attributes(match[1]!) : undefined;
}

function attributes(tag: string): Map<string, string> {
  return new Map([...tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)].map((a) => [a[1]!, decodeXml(a[2] ?? a[3]!)]));
}
