// SIGTERM (systemd, docker, kill) and SIGINT (Ctrl-C) ask a run to stop at the next file or stage
// boundary, where everything it did is committed or rolled back. A second signal exits at once:
// DuckDB drops the open transaction when the file is next opened, so even that loses nothing.
import type { Logger } from './log.js';

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
