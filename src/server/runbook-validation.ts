/**
 * Runbook validation off the event loop. Parsing a 64 KiB runbook's YAML
 * takes hundreds of milliseconds (seconds on a busy machine); on the server's
 * own thread, four such bodies sent together would hold up a Slack click's
 * acknowledgement past its 3 seconds. One background thread validates them
 * in turn, and at most `maxQueued` wait (429 beyond), so a stranger's bodies
 * cost a bounded amount of one core, never the click path.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Problem } from '../runbook/validate';
import { tooManyRequests } from './errors';

export interface ValidationResult {
  problems: Problem[];
  name?: string;
}

interface Pending {
  resolve(result: ValidationResult): void;
  reject(err: Error): void;
}

export class RunbookValidationThread {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly maxQueued = 16) {}

  validate(content: string, fileName: string): Promise<ValidationResult> {
    if (this.pending.size >= this.maxQueued) return Promise.reject(tooManyRequests('The server is validating other runbooks; retry in a moment.'));
    const id = this.nextId++;
    return new Promise<ValidationResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.thread().postMessage({ id, content, fileName });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(__dirname, 'runbook-validation-thread.js'));
    // The thread never keeps the process alive; a closing server terminates it.
    worker.unref();
    worker.on('message', (m: { id: number; problems?: Problem[]; name?: string; error?: string }) => {
      const waiting = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!waiting) return;
      if (m.error !== undefined) waiting.reject(new Error(`runbook validation failed: ${m.error}`));
      else waiting.resolve({ problems: m.problems ?? [], name: m.name });
    });
    const failAll = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the runbook validation thread stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }
}
