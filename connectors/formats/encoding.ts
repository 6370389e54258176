// Tells from its bytes how a CSV export is encoded, and turns the exports that are not UTF-8 into
// UTF-8 text in NFC, streaming. Vietnamese systems still export UTF-16 (Excel's "Unicode text")
// and the pre-Unicode encodings TCVN3 (ABC), VNI-Windows and Windows-1258.
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SourceFileError } from '../../core/errors.js';

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'tcvn3' | 'vni' | 'windows-1258';

const ENCODING_NAMES: Record<Encoding, string> = {
  'utf-8': 'UTF-8',
  'utf-16le': 'UTF-16LE',
  'utf-16be': 'UTF-16BE',
  tcvn3: 'TCVN3',
  vni: 'VNI-Windows',
  'windows-1258': 'Windows-1258',
};

/**
 * The pre-Unicode encodings, tried when a file is not UTF-8. On a tie the first wins: Windows-1258
 * keeps Windows-1252's punctuation where TCVN3 has letters, so a stray dash stays a dash.
 */
const LEGACY = ['windows-1258', 'vni', 'tcvn3'] as const;

/**
 * How much of a legacy decoding's text beyond ASCII (its accented words, its stray symbols) must
 * make Vietnamese syllables for the file to be read in it. The right table gives all but the odd
 * foreign name (1.0 on the fixtures); a wrong one, a few short words by chance among symbols and
 * impossible syllables (at most 0.28 there, 0.17 on random bytes).
 */
const MIN_VIETNAMESE_SHARE = 0.8;

export type Sniffed = { encoding: Encoding; /** The sample as text, NFC, without its byte-order mark. */ text: string };

/**
 * The encoding of a file from its first bytes (`whole` when they are the whole file): a UTF-16
 * byte-order mark; else UTF-8 when the bytes are valid UTF-8 (with or without its mark); else the
 * legacy encoding in which the text reads most as Vietnamese, if it does convincingly.
 */
export function detectEncoding(head: Uint8Array, displayName: string, whole: boolean): Sniffed {
  const utf16 = head[0] === 0xff && head[1] === 0xfe ? 'utf-16le' : head[0] === 0xfe && head[1] === 0xff ? 'utf-16be' : undefined;
  if (utf16) {
    const text = strictDecode(utf16, head, whole);
    if (text === undefined || text.includes('\0')) throw notText(displayName, `it starts with the byte-order mark of ${ENCODING_NAMES[utf16]} but is not ${ENCODING_NAMES[utf16]} text`);
    return { encoding: utf16, text: text.normalize('NFC') };
  }
  // No text file holds NUL, in any of the encodings below: a binary file, or UTF-16 without its mark.
  if (head.includes(0)) throw notText(displayName, 'it holds NUL bytes, as binary files and UTF-16 without a byte-order mark do');
  const utf8 = strictDecode('utf-8', head, whole);
  if (utf8 !== undefined) return { encoding: 'utf-8', text: utf8.normalize('NFC') };

  const readings = LEGACY.map((encoding) => ({ encoding, text: decodeAll(encoding, head), share: 0 }));
  for (const reading of readings) reading.share = vietnameseShare(reading.text);
  const best = readings.reduce((a, b) => (b.share > a.share ? b : a));
  if (best.share < MIN_VIETNAMESE_SHARE) {
    throw notText(displayName, `read as ${ENCODING_NAMES[best.encoding]}, the closest, only ${Math.round(best.share * 100)} % of what is beyond ASCII makes Vietnamese syllables`);
  }
  return { encoding: best.encoding, text: best.text };
}

function notText(displayName: string, why: string): SourceFileError {
  const tried = ['UTF-8', 'UTF-16 with a byte-order mark', ...LEGACY.map((e) => ENCODING_NAMES[e])].join(', ');
  return new SourceFileError(displayName, `the file is not text in any encoding tried (${tried}): ${why}`, {
    action: 'check that it is the CSV export and not a workbook, an archive or another file renamed .csv; if it is, save it as "CSV UTF-8" and drop it in the inbox again',
  });
}

/** The bytes as text, or undefined when they are not valid in the encoding; a character cut at the end of a sample is not an error. */
function strictDecode(encoding: 'utf-8' | 'utf-16le' | 'utf-16be', bytes: Uint8Array, whole: boolean): string | undefined {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes, { stream: !whole });
  } catch {
    return undefined;
  }
}

function decodeAll(encoding: Encoding, bytes: Uint8Array): string {
  const decoder = decoderFor(encoding);
  return (decoder.write(bytes) + decoder.end()).normalize('NFC');
}

// How Vietnamese a text reads. A Vietnamese word is one syllable: an initial consonant, a vowel
// nucleus, a final consonant, and at most one tone mark, on a vowel. Wrong code tables turn
// accented letters into symbols, foreign letters, or letters piled up in impossible syllables.
const TONE_MARKS = /[\u0300\u0301\u0303\u0309\u0323]/gu;
const INITIAL = '(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnprstvx])?';
// Nuclei that end in a glide take no final consonant (hai, sao, yêu); the others may (an, tiên).
const OPEN_NUCLEUS = '(?:iêu|yêu|oai|oay|oeo|uây|uôi|uya|uyu|ươi|ươu|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu)';
const NUCLEUS = '(?:uyê|iê|yê|uô|ươ|oa|oă|oe|oo|uâ|uê|uy|uơ|[aăâeêioôơuưy])';
const SYLLABLE = new RegExp(`^${INITIAL}(?:${OPEN_NUCLEUS}|${NUCLEUS}(?:ng|nh|ch|[cmnpt])?)$`, 'u');
/** Syllables closed by a stop take the sắc or the nặng tone, never another. */
const STOP_FINAL = /(?:ch|[cpt])$/u;
const WORD = /[\p{L}\p{M}]+/gu;
/** Characters outside letters, printable ASCII, line breaks and everyday punctuation: where a wrong table puts symbols and controls. */
const STRAY = /[^\p{L}\p{M}\x20-\x7e\t\r\n\u00a0–—‘’“”…•]/gu;

/** Of the words with a letter beyond ASCII, and the stray characters, the share that are Vietnamese syllables (1 when there are none). */
export function vietnameseShare(text: string): number {
  let good = 0;
  let bad = (text.match(STRAY) ?? []).length;
  for (const [word] of text.matchAll(WORD)) {
    if (/^[a-zA-Z]+$/.test(word)) continue;
    if (isVietnameseSyllable(word)) good++;
    else bad++;
  }
  return good + bad === 0 ? 1 : good / (good + bad);
}

function isVietnameseSyllable(word: string): boolean {
  const letters = word.toLowerCase().normalize('NFD');
  const tones = [...letters.matchAll(TONE_MARKS)];
  if (tones.length > 1) return false;
  const tone = tones[0];
  if (tone && !/[aeiouy]\p{M}*$/u.test(letters.slice(0, tone.index))) return false;
  const toneless = letters.replace(TONE_MARKS, '').normalize('NFC');
  if (!SYLLABLE.test(toneless)) return false;
  return !STOP_FINAL.test(toneless) || tone?.[0] === '\u0301' || tone?.[0] === '\u0323';
}

/** Bytes in, text out, chunk by chunk: what a chunk ends with half of is kept for the next. */
type Decoder = { write(chunk: Uint8Array): string; end(): string };

function decoderFor(encoding: Encoding): Decoder {
  if (encoding === 'tcvn3') return tableDecoder(TCVN3);
  if (encoding === 'vni') return tableDecoder(VNI);
  // Node's own: UTF-8 and UTF-16 keep a cut character for the next chunk and drop the byte-order mark.
  const decoder = new TextDecoder(encoding);
  return { write: (chunk) => decoder.decode(chunk, { stream: true }), end: () => decoder.decode() };
}

/** A decoder of a single-byte table: every byte stands for itself, whatever comes around it. */
function tableDecoder(table: readonly string[]): Decoder {
  return {
    write(chunk) {
      let text = '';
      for (const byte of chunk) text += table[byte]!;
      return text;
    },
    end: () => '',
  };
}

/**
 * Bytes of `encoding` in, UTF-8 in NFC out. VNI and Windows-1258 write a letter's marks as bytes
 * after it, and UTF-8 and UTF-16 cut characters anywhere: a chunk's text after its last ASCII
 * character waits for the next chunk, since composition never reaches back across an ASCII
 * character, so the text before it is final.
 */
class Utf8Nfc extends Transform {
  private readonly decoder: Decoder;
  private pending = '';

  constructor(encoding: Encoding) {
    super();
    this.decoder = decoderFor(encoding);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const text = this.pending + this.decoder.write(chunk);
    const cut = lastAsciiIndex(text);
    if (cut <= 0) {
      this.pending = text;
      return done();
    }
    this.pending = text.slice(cut);
    done(null, Buffer.from(text.slice(0, cut).normalize('NFC'), 'utf8'));
  }

  override _flush(done: TransformCallback): void {
    done(null, Buffer.from((this.pending + this.decoder.end()).normalize('NFC'), 'utf8'));
  }
}

function lastAsciiIndex(text: string): number {
  let i = text.length - 1;
  while (i >= 0 && text.charCodeAt(i) >= 0x80) i--;
  return i;
}

/** The text of `source` (in `encoding`) as a stream of UTF-8 in NFC, without a byte-order mark. */
export function decodedText(source: string, encoding: Encoding): Readable {
  const bytes = createReadStream(source);
  const text = new Utf8Nfc(encoding);
  bytes.on('error', (error) => text.destroy(error));
  return bytes.pipe(text);
}

/** Writes `target`, the text of `source` (in `encoding`) as UTF-8 in NFC, reading `chunkBytes` at a time. */
export async function convertToUtf8(source: string, target: string, encoding: Encoding, chunkBytes = 64 * 1024): Promise<void> {
  await pipeline(createReadStream(source, { highWaterMark: chunkBytes }), new Utf8Nfc(encoding), createWriteStream(target));
}

/** 256 entries from the code points of bytes 0x80–0xFF, the bytes below standing for ASCII unless `low` says otherwise. */
function byteTable(high: readonly (number | string)[], low: Readonly<Record<number, number>> = {}): string[] {
  const table = Array.from({ length: 0x80 }, (_, byte) => String.fromCodePoint(low[byte] ?? byte));
  for (const entry of high) table.push(typeof entry === 'number' ? String.fromCodePoint(entry) : entry);
  return table;
}

/**
 * TCVN3 is TCVN 5712:1993, table VN3 (the ABC fonts): precomposed lower-case letters and Ă Â Ê
 * Ô Ơ Ư Đ at 0xA1–0xFF. Capitals with a tone have no code of their own in VN3 (the ABC "H" fonts
 * draw the lower-case codes as capitals, so such text arrives in lower case); table VN1 of the
 * same standard puts them in the gaps, at 0x01–0x17, 0x80–0xA0 and a few codes of the upper
 * half, which VN3 leaves unused. This is VN1, a superset, as GNU libiconv has it (tcvn.h),
 * code points by byte. 0xB0–0xB4 are the five tone marks, to combine with the letter before.
 */
const TCVN3 = byteTable(
  [
    0x00c0, 0x1ea2, 0x00c3, 0x00c1, 0x1ea0, 0x1eb6, 0x1eac, 0x00c8, 0x1eba, 0x1ebc, 0x00c9, 0x1eb8, 0x1ec6, 0x00cc, 0x1ec8, 0x0128, // 0x80
    0x00cd, 0x1eca, 0x00d2, 0x1ece, 0x00d5, 0x00d3, 0x1ecc, 0x1ed8, 0x1edc, 0x1ede, 0x1ee0, 0x1eda, 0x1ee2, 0x00d9, 0x1ee6, 0x0168, // 0x90
    0x00a0, 0x0102, 0x00c2, 0x00ca, 0x00d4, 0x01a0, 0x01af, 0x0110, 0x0103, 0x00e2, 0x00ea, 0x00f4, 0x01a1, 0x01b0, 0x0111, 0x1eb0, // 0xA0
    0x0300, 0x0309, 0x0303, 0x0301, 0x0323, 0x00e0, 0x1ea3, 0x00e3, 0x00e1, 0x1ea1, 0x1eb2, 0x1eb1, 0x1eb3, 0x1eb5, 0x1eaf, 0x1eb4, // 0xB0
    0x1eae, 0x1ea6, 0x1ea8, 0x1eaa, 0x1ea4, 0x1ec0, 0x1eb7, 0x1ea7, 0x1ea9, 0x1eab, 0x1ea5, 0x1ead, 0x00e8, 0x1ec2, 0x1ebb, 0x1ebd, // 0xC0
    0x00e9, 0x1eb9, 0x1ec1, 0x1ec3, 0x1ec5, 0x1ebf, 0x1ec7, 0x00ec, 0x1ec9, 0x1ec4, 0x1ebe, 0x1ed2, 0x0129, 0x00ed, 0x1ecb, 0x00f2, // 0xD0
    0x1ed4, 0x1ecf, 0x00f5, 0x00f3, 0x1ecd, 0x1ed3, 0x1ed5, 0x1ed7, 0x1ed1, 0x1ed9, 0x1edd, 0x1edf, 0x1ee1, 0x1edb, 0x1ee3, 0x00f9, // 0xE0
    0x1ed6, 0x1ee7, 0x0169, 0x00fa, 0x1ee5, 0x1eeb, 0x1eed, 0x1eef, 0x1ee9, 0x1ef1, 0x1ef3, 0x1ef7, 0x1ef9, 0x00fd, 0x1ef5, 0x1ed0, // 0xF0
  ],
  { 0x01: 0x00da, 0x02: 0x1ee4, 0x04: 0x1eea, 0x05: 0x1eec, 0x06: 0x1eee, 0x11: 0x1ee8, 0x12: 0x1ef0, 0x13: 0x1ef2, 0x14: 0x1ef6, 0x15: 0x1ef8, 0x16: 0x00dd, 0x17: 0x1ef4 },
);

/**
 * VNI-Windows (VNI Software's fonts, on the Windows-1252 code page): a vowel is its base letter
 * followed by a byte for its marks (ấ is a + 0xE1); ơ, ư, đ and a few i and y letters have a byte
 * of their own. Each byte means the same wherever it stands, so the table gives the mark bytes
 * as combining marks and NFC composes them with the letter before. The other bytes are
 * Windows-1252's. Lower-case codes, upper-case codes.
 */
const VNI_CODES: [number, number, string][] = [
  [0xf9, 0xd9, '\u0301'], // sắc
  [0xf8, 0xd8, '\u0300'], // huyền
  [0xfb, 0xdb, '\u0309'], // hỏi
  [0xf5, 0xd5, '\u0303'], // ngã
  [0xef, 0xcf, '\u0323'], // nặng
  [0xe2, 0xc2, '\u0302'], // â ê ô
  [0xe1, 0xc1, '\u0302\u0301'],
  [0xe0, 0xc0, '\u0302\u0300'],
  [0xe5, 0xc5, '\u0302\u0309'],
  [0xe3, 0xc3, '\u0302\u0303'],
  [0xe4, 0xc4, '\u0302\u0323'],
  [0xea, 0xca, '\u0306'], // ă
  [0xe9, 0xc9, '\u0306\u0301'],
  [0xe8, 0xc8, '\u0306\u0300'],
  [0xfa, 0xda, '\u0306\u0309'],
  [0xfc, 0xdc, '\u0306\u0303'],
  [0xeb, 0xcb, '\u0306\u0323'],
  [0xf4, 0xd4, 'ơ'],
  [0xf6, 0xd6, 'ư'],
  [0xf1, 0xd1, 'đ'],
  [0xed, 0xcd, 'í'],
  [0xec, 0xcc, 'ì'],
  [0xe6, 0xc6, 'ỉ'],
  [0xf3, 0xd3, 'ĩ'],
  [0xf2, 0xd2, 'ị'],
  [0xee, 0xce, 'ỵ'],
];
const VNI = (() => {
  const windows1252 = new TextDecoder('windows-1252');
  const table = byteTable(Array.from({ length: 0x80 }, (_, i) => windows1252.decode(Uint8Array.of(0x80 + i))));
  for (const [lower, upper, text] of VNI_CODES) {
    table[lower] = text;
    table[upper] = text.toUpperCase();
  }
  return table;
})();
