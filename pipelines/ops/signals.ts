// SIGTERM (systemd, docker, kill) and SIGINT (Ctrl-C) ask a run to stop at the next file or stage
// boundary, where everything it did is committed or rolled back. A second signal exits at once:
// DuckDB drops the open transaction when the file is next opened, so even that loses nothing.
import type { Logger } from '../../core/log.js';

export function stopOnSignals(log: Logger): AbortController {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log.warn({ signal }, 'second stop signal: exiting now; the next run rolls back what was not committed');
      process.exit(130);
    }
    log.warn({ signal }, 'stopping after the current step (send the signal again to stop at once)');
    controller.abort(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return controller;
}

/**
 * A kill or a pause at an exact point, for the tests: where CCHC_FAILPOINT names this point, the
 * process kills itself there with SIGKILL, as a power cut or the OOM killer would, or stops itself
 * with SIGSTOP (`<point>:stop`) until the test, having filled the disk, say, sends SIGCONT. Some
 * windows (between two renames) are too short for a test to hit with a signal from outside.
 */
export function failpoint(name: string): void {
  const [point, action] = (process.env.CCHC_FAILPOINT ?? '').split(':');
  if (point === name) process.kill(process.pid, action === 'stop' ? 'SIGSTOP' : 'SIGKILL');
}
