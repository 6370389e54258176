// One read of a file, in a worker thread: its SHA-256, its lines, and whether a record (any line
// after the first) holds the combining marks of decomposed text, counted as lineCount counts them
// (connectors/formats/csv-lines.ts; test/core/file-passes.test.ts holds the two to the same
// answers). Plain JavaScript: a worker thread does not inherit the TypeScript loader of the
// thread that starts it.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';

const BLOCK = 4 * 1024 * 1024;
const LF = 0x0a;

async function pass(path) {
  const hash = createHash('sha256');
  const file = await open(path);
  let breaks = 0;
  let last = LF;
  let decomposed = false;
  try {
    // The next block is read while the last is hashed and counted.
    const blocks = [Buffer.allocUnsafe(BLOCK), Buffer.allocUnsafe(BLOCK)];
    let reading = file.read(blocks[0], 0, BLOCK, null);
    for (let i = 0; ; i ^= 1) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) break;
      reading = file.read(blocks[i ^ 1], 0, BLOCK, null);
      const bytes = blocks[i].subarray(0, bytesRead);
      hash.update(bytes);
      const records = breaks > 0 ? 0 : bytes.indexOf(LF);
      if (records !== -1) decomposed ||= bytes.includes(0xcc, records) || bytes.includes(0xcd, records);
      for (let at = bytes.indexOf(LF); at !== -1; at = bytes.indexOf(LF, at + 1)) breaks++;
      last = bytes[bytesRead - 1];
    }
  } finally {
    await file.close();
  }
  return { sha256: hash.digest('hex'), lines: breaks + (last === LF ? 0 : 1), decomposed };
}

parentPort.on('message', (path) => {
  pass(path).then(
    (result) => parentPort.postMessage({ result }),
    (error) => parentPort.postMessage({ error: { message: error.message, code: error.code } }),
  );
});
