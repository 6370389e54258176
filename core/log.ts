// The job's logger: pino JSON lines on stderr (for cron and log shippers), pretty lines when a
// person watches a terminal. Callers take children with bound fields (run_id, stage, source).
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export type LogOptions = { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream };

export function createLogger(options: LogOptions = {}): Logger {
  const wantsPretty = options.pretty ?? (!options.destination && process.stderr.isTTY === true);
  const settings = {
    level: options.level ?? 'info',
    base: undefined,
    // Secrets never reach the log, whatever object a caller passes.
    redact: { paths: ['*.token', '*.password', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
  };
  if (wantsPretty) {
    return pino(settings, pretty({ destination: clearingTerminal, ignore: 'run_id', translateTime: 'HH:MM:ss' }));
  }
  return pino(settings, options.destination ?? pino.destination({ dest: 2, sync: true }));
}

/** stderr, each line first wiping the progress line it is written over (see progress.ts). */
const clearingTerminal = new Writable({
  write(chunk: Buffer, _encoding, done) {
    process.stderr.write(Buffer.concat([Buffer.from('\x1b[2K\r'), chunk]), done);
  },
});
