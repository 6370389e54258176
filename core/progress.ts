// One line of progress at the bottom of a terminal: the stage, how far it is (files, pages,
// models) and what it is on. Only on a terminal: under cron the log lines say the same.
export type Progress = {
  /** A new task of `total` steps (0 when unknown). */
  start(label: string, total: number, unit: string): void;
  advance(detail?: string): void;
  end(): void;
};

export const NO_PROGRESS: Progress = { start() {}, advance() {}, end() {} };

type Terminal = Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean; columns?: number };

export function createProgress(stream: Terminal = process.stderr, redrawMs = 100): Progress {
  if (!stream.isTTY) return NO_PROGRESS;
  let task = { label: '', total: 0, unit: '', done: 0, detail: '' };
  let drawnAt = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - drawnAt < redrawMs) return;
    drawnAt = now;
    const count = task.total > 0 ? `${task.done}/${task.total} ${task.unit} ${bar(task.done / task.total)}` : `${task.done} ${task.unit}`;
    const line = `${task.label}: ${count}  ${task.detail}`.slice(0, (stream.columns ?? 100) - 1);
    stream.write(`\x1b[2K\r${line}`);
  };
  return {
    start(label, total, unit) {
      task = { label, total, unit, done: 0, detail: '' };
      draw(true);
    },
    advance(detail = '') {
      task.done++;
      task.detail = detail;
      draw(task.done === task.total);
    },
    end() {
      stream.write('\x1b[2K\r');
    },
  };
}

function bar(fraction: number, width = 20): string {
  const full = Math.round(Math.min(1, fraction) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}
