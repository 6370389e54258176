// Cuts the XML of a workbook's part, as it inflates, into pieces that end with a whole element (a
// row, a shared string): the scanners of xlsx-sheet.ts then read plain strings, never an element
// cut in two, and nothing holds more of the part than a piece.

/** Bytes decoded at a time: V8 builds and reads strings of up to 64 KiB much faster than longer ones. */
const DECODED_BYTES = 64 * 1024;

/** Whole elements of an XML stream: the text of `text` from `from` to `to`. */
export type Piece = { text: string; from: number; to: number };

/**
 * The decoded text of an XML stream in pieces that each end just after a `closeTag`, so no
 * element of that name is cut between two pieces; the last piece holds what follows the last one.
 */
export async function* piecesEndingWith(bytes: AsyncIterable<Uint8Array>, closeTag: string): AsyncGenerator<Piece> {
  // One decoder for the whole stream: a multi-byte character split between two chunks stays whole.
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of bytes) {
    for (let at = 0; at < chunk.length; at += DECODED_BYTES) {
      const text = decoder.decode(chunk.subarray(at, at + DECODED_BYTES), { stream: true });
      const first = text.indexOf(closeTag);
      if (first < 0) {
        rest += text;
        continue;
      }
      // The element cut by the previous text's end is joined on its own; the rest of this text is
      // scanned where it lies, since a string joined or sliced from others is slower to read.
      const head = rest + text.slice(0, first + closeTag.length);
      yield { text: head, from: 0, to: head.length };
      const last = text.lastIndexOf(closeTag) + closeTag.length;
      yield { text, from: first + closeTag.length, to: last };
      rest = text.slice(last);
    }
  }
  const text = rest + decoder.decode();
  yield { text, from: 0, to: text.length };
}
