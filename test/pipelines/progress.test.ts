// The progress line: drawn on a terminal, absent under cron.
import { describe, expect, it } from 'vitest';
import { createProgress, NO_PROGRESS } from '../../core/progress.js';

function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, columns: 120, written, write: (text: string) => written.push(text) > 0 };
}

describe('progress', () => {
  it('draws the stage, the count, a bar and the current item on a terminal, and clears the line at the end', () => {
    const tty = terminal(true);
    const progress = createProgress(tty, 0);
    progress.start('load motcua', 4, 'files');
    for (const file of ['ho-so-2024-W01.csv', 'ho-so-2024-W02.csv', 'ho-so-2024-W03.csv', 'ho-so-2024-W04.xlsx']) progress.advance(file);
    progress.end();
    expect(tty.written.at(-2)).toBe('\x1b[2K\rload motcua: 4/4 files [####################]  ho-so-2024-W04.xlsx');
    expect(tty.written[2]).toBe('\x1b[2K\rload motcua: 2/4 files [##########..........]  ho-so-2024-W02.csv');
    expect(tty.written.at(-1)).toBe('\x1b[2K\r');
  });

  it('counts without a bar when the total is not known (API pages)', () => {
    const tty = terminal(true);
    const progress = createProgress(tty, 0);
    progress.start('extract motcua motcua/dossiers', 0, 'pages');
    progress.advance('500 records');
    expect(tty.written.at(-1)).toBe('\x1b[2K\rextract motcua motcua/dossiers: 1 pages  500 records');
  });

  it('writes nothing when the output is not a terminal (cron, a log file)', () => {
    const file = terminal(false);
    const progress = createProgress(file, 0);
    expect(progress).toBe(NO_PROGRESS);
    progress.start('load motcua', 2, 'files');
    progress.advance('x');
    expect(file.written).toEqual([]);
  });
});
