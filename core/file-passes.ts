// Reads files once each, in worker threads, two at a time where the machine has the cores: hashing
// and counting lines are each bound by one core, and while the extract does them DuckDB is idle.
// In `npm run bench`'s full load on 7 December 2026 (12:14 UTC), the extract took 4.5 s hashing
// one file after the other, before the load read each file again to count its lines; 3.6 s with
// one read of each.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** What one read of a file tells (core/file-pass-worker.js). */
export type FilePass = { sha256: string; lines: number; decomposed: boolean };

type Job = { path: string; resolve: (pass: FilePass) => void; reject: (error: Error) => void };
type Reply = { result?: FilePass; error?: { message: string; code?: string } };

export class FilePasses {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private started = 0;

  constructor(private readonly size = Math.min(2, availableParallelism())) {}

  /** Queues a file; its pass settles when a worker has read it. Files are taken in the order asked. */
  pass(path: string): Promise<FilePass> {
    return new Promise((resolve, reject) => {
      this.queue.push({ path, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the workers; what is being read or still queued fails. */
  async close(): Promise<void> {
    for (const job of [...this.busy.values(), ...this.queue.splice(0)]) job.reject(new Error(`${job.path}: not read, the passes were closed`));
    const workers = [...this.idle.splice(0), ...this.busy.keys()];
    this.busy.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.started < this.size ? this.start() : undefined);
      if (!worker) return;
      const job = this.queue.shift()!;
      this.busy.set(worker, job);
      worker.postMessage(job.path);
    }
  }

  private start(): Worker {
    this.started++;
    const worker = new Worker(new URL('./file-pass-worker.js', import.meta.url));
    worker.on('message', ({ result, error }: Reply) => {
      const job = this.busy.get(worker)!;
      this.busy.delete(worker);
      this.idle.push(worker);
      // As fs would have failed in this thread: the message and the code (ENOENT, EACCES…).
      if (error) job.reject(Object.assign(new Error(error.message), { code: error.code }));
      else job.resolve(result!);
      this.dispatch();
    });
    // A worker that dies takes its file with it; the next file gets a new worker.
    worker.on('error', (error) => {
      this.busy.get(worker)?.reject(error);
      this.busy.delete(worker);
      if (this.idle.includes(worker)) this.idle.splice(this.idle.indexOf(worker), 1);
      this.started--;
      this.dispatch();
    });
    return worker;
  }
}
