// One read of each export at landing: the hash it is landed under, and the lines and decomposed
// text that the load would otherwise read the whole file again for.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lineCount } from '../../connectors/formats/csv-lines.js';
import { FilePasses } from '../../core/file-passes.js';
import { tempDir } from '../helpers.js';

const HEADER = 'Mã hồ sơ,Đơn vị tiếp nhận\n';
// "Đồng Hới" typed decomposed: o + U+0302 + U+0300, o + U+031B + U+0301.
const DECOMPOSED = 'Đo\u0302\u0300ng Ho\u031b\u0301i';

describe('FilePasses', () => {
  let passes: FilePasses;
  afterEach(() => passes.close());

  it('gives each file the hash of its bytes, and the lines and decomposed text that lineCount finds', async () => {
    const dir = tempDir();
    const files: Record<string, string | Buffer> = {
      'ends-with-a-break.csv': `${HEADER}H1,UBND phường Nam Lý\nH2,UBND phường Bắc Lý\n`,
      'ends-without.csv': `${HEADER}H1,UBND phường Nam Lý`,
      'decomposed-record.csv': `${HEADER}H1,UBND phường Nam Lý\nH2,${DECOMPOSED}\n`,
      // The header's marks do not count: headers are matched whatever their form.
      'decomposed-header.csv': `Ma\u0303 ho\u0302\u0300 so\u031b,Đơn vị\nH1,UBND phường Nam Lý\n`,
      'empty.csv': '',
      // Beyond the worker's 4 MB blocks and lineCount's 1 MB chunks, the marks in the last rows only.
      'large.csv': `${HEADER}${'H1,UBND phường Nam Lý\n'.repeat(300_000)}H2,${DECOMPOSED}\n`,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    passes = new FilePasses();
    const read = await Promise.all(Object.keys(files).map((name) => passes.pass(join(dir, name))));
    const expected = await Promise.all(
      Object.keys(files).map(async (name) => ({
        sha256: createHash('sha256').update(readFileSync(join(dir, name))).digest('hex'),
        ...(await lineCount(join(dir, name))),
      })),
    );
    expect(read).toEqual(expected);
    expect(read.map((r) => r.decomposed)).toEqual([false, false, true, false, false, true]);
    expect(read[0]!.lines).toBe(3);
    expect(read[1]!.lines).toBe(2);
  });

  it('fails the pass of a file that is not there as fs would, and goes on with the next', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'there.csv'), HEADER);
    passes = new FilePasses(1);
    const missing = passes.pass(join(dir, 'gone.csv'));
    const there = passes.pass(join(dir, 'there.csv'));
    await expect(missing).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(there).resolves.toMatchObject({ lines: 1, decomposed: false });
  });

  it('fails what is being read and what is still queued when closed, as a run stopped halfway closes them', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.csv'), HEADER);
    passes = new FilePasses(1);
    const outcomes = Promise.allSettled([passes.pass(join(dir, 'a.csv')), passes.pass(join(dir, 'a.csv'))]);
    await passes.close();
    const failed = `${join(dir, 'a.csv')}: not read, the passes were closed`;
    expect((await outcomes).map((o) => o.status === 'rejected' && (o.reason as Error).message)).toEqual([failed, failed]);
  });
});
