/** Starting the bench's child processes (TypeScript through bin/run-ts.js) and talking to them over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

export interface Child {
  process: ChildProcess;
  /** The first IPC message, once the child is ready. */
  ready: Promise<Record<string, unknown>>;
  request<T>(message: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** Every child started, so an interrupted run leaves none behind (see killAllChildren). */
const started: ChildProcess[] = [];

/** SIGKILLs every child still running: synchronous, for process.on('exit'). */
export function killAllChildren(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** `stdout: 'ignore'`: the child's stdout goes to /dev/null (a server that logs every request, as in production). */
export function startChild(script: string, args: string[], execArgv: string[] = [], onMessage?: (message: Record<string, unknown>) => void, options: { stdout?: 'inherit' | 'ignore' } = {}): Child {
  // Every process as the container runs Signalroom's (Dockerfile: no V8 memory reducer), baselines alike.
  const child = fork(path.join(ROOT, 'bin/run-ts.js'), [path.join(ROOT, script), ...args], { cwd: ROOT, execArgv: ['--no-memory-reducer', ...execArgv], stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'] });
  started.push(child);
  let seq = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${script} exited with code ${code} before it was ready`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as Record<string, unknown>);
      child.on('message', (msg) => {
        const { id } = msg as { id?: number };
        if (id === undefined) return onMessage?.(msg as Record<string, unknown>);
        waiting.get(id)?.(msg);
        waiting.delete(id);
      });
    });
  });
  return {
    process: child,
    ready,
    request<T>(message: Record<string, unknown>) {
      const id = ++seq;
      return new Promise<T>((resolve) => {
        waiting.set(id, (v) => resolve(v as T));
        child.send({ ...message, id });
      });
    },
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        try {
          child.send({ op: 'stop' });
          child.send('stop');
        } catch {
          child.kill('SIGTERM');
        }
      });
    },
  };
}
