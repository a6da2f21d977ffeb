/**
 * Runbook validation in a child process. Parsing a 64 KiB runbook's YAML
 * takes hundreds of milliseconds (seconds on a busy machine): on the
 * server's own thread, four such bodies sent together would hold up a Slack
 * click's acknowledgement past its 3 seconds. And a thread is no isolation:
 * deeply nested YAML once made V8 run out of memory in a way that ends the
 * whole process, thread or not (SECURITY.md, "Parsing text from outside
 * cannot kill the server"). So one child process, with its own bounded heap,
 * validates the runbooks in turn; at most `maxQueued` wait (429 beyond). When
 * the child dies or overruns its time, the runbook it was validating is
 * answered 422, a new child takes the rest, and the server goes on.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import path from 'node:path';
import type { Problem } from '../../core/runbook/validate';
import { SignalroomError, UnprocessableError } from '../errors';
import { tooManyRequests } from './errors';

export interface ValidationResult {
  problems: Problem[];
  name?: string;
}

export interface RunbookValidationOptions {
  /** Runbooks waiting or in validation at once; more are answered 429. @default 16 */
  maxQueued: number;
  /** The child's JavaScript heap, in MiB. @default 128 */
  heapMb: number;
  /** How long one runbook may take to validate. @default 20000 */
  timeoutMs: number;
  /** The child's module. @default runbook-validation-child.js (tests give one that dies on cue) */
  childModule: string;
}

interface Job {
  id: number;
  content: string;
  fileName: string;
  resolve(result: ValidationResult): void;
  reject(err: Error): void;
}

const CHILD = path.join(__dirname, 'runbook-validation-child.js');

export class RunbookValidationProcess {
  private child?: ChildProcess;
  private ready = false;
  private readonly queue: Job[] = [];
  private running?: { job: Job; timer: NodeJS.Timeout };
  private nextId = 1;
  private closed = false;
  private readonly limits: RunbookValidationOptions;

  constructor(options: Partial<RunbookValidationOptions> = {}) {
    this.limits = { maxQueued: 16, heapMb: 128, timeoutMs: 20_000, childModule: CHILD, ...options };
  }

  validate(content: string, fileName: string): Promise<ValidationResult> {
    if (this.queue.length + (this.running ? 1 : 0) >= this.limits.maxQueued) return Promise.reject(tooManyRequests('The server is validating other runbooks; retry in a moment.'));
    return new Promise<ValidationResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, content, fileName, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.stop(new SignalroomError('The server is stopping.', { code: 'unavailable', status: 503 }));
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** Sends the next runbook to the child, one at a time, so a death is blamed on the runbook that caused it. */
  private pump(): void {
    if (this.running || !this.queue.length || this.closed) return;
    const child = this.child ?? this.start();
    if (!this.ready) return;
    const job = this.queue.shift()!;
    const timer = setTimeout(() => {
      this.blame(`validating it took longer than ${this.limits.timeoutMs / 1000}s`);
      child.kill('SIGKILL');
    }, this.limits.timeoutMs);
    this.running = { job, timer };
    child.send({ id: job.id, content: job.content, fileName: job.fileName });
  }

  private start(): ChildProcess {
    this.ready = false;
    const child = fork(this.limits.childModule, [], {
      // Its own bounded heap; none of the server's flags (a debugger port, say).
      execArgv: [`--max-old-space-size=${this.limits.heapMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    // The child never keeps the server alive: a closing server ends it.
    child.unref();
    child.channel?.unref();
    (child.stderr as Socket).unref();
    child.on('message', (m: { ready?: boolean; id?: number; problems?: Problem[]; name?: string; error?: string }) => {
      if (m.ready) {
        this.ready = true;
        this.pump();
        return;
      }
      const running = this.running;
      if (!running || running.job.id !== m.id) return;
      clearTimeout(running.timer);
      this.running = undefined;
      if (m.error !== undefined) running.job.reject(new Error(`runbook validation failed: ${m.error}`));
      else running.job.resolve({ problems: m.problems ?? [], name: m.name });
      this.pump();
    });
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (!this.ready) {
        // It died before it could take any runbook: no runbook is to blame, the server cannot validate now.
        this.stop(new SignalroomError(`The runbook validator could not start (${why}).`, { code: 'unavailable', status: 503, cause: new Error(stderr) }));
        return;
      }
      this.ready = false;
      this.blame(`the validator stopped while parsing it (${why}): it needs more memory or time than a runbook may use`);
      this.pump();
    };
    child.on('exit', (code, signal) => gone(signal ? `signal ${signal}` : `exit ${code}`));
    child.on('error', (err) => gone(err.message));
    this.child = child;
    return child;
  }

  /** The runbook being validated is answered 422: the child died or overran on it. */
  private blame(why: string): void {
    const running = this.running;
    if (!running) return;
    clearTimeout(running.timer);
    this.running = undefined;
    running.job.reject(new UnprocessableError(`content: this runbook cannot be validated: ${why}`, 'body.content'));
  }

  private stop(err: Error): void {
    if (this.running) {
      clearTimeout(this.running.timer);
      this.running.job.reject(err);
      this.running = undefined;
    }
    for (const job of this.queue.splice(0)) job.reject(err);
  }
}
