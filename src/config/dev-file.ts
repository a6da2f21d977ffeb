/**
 * The file `signalroom dev` keeps in its data folder while it runs
 * (`dev.json`, readable by this user only): its endpoints and the Slack
 * sandbox's credentials. A second terminal in the same folder — the CLI,
 * `signalroom doctor` — finds the stack there when nothing else is
 * configured, and the next `dev` learns what an earlier one left running.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DEV_FILE = 'dev.json';

export interface DevFile {
  /** The `signalroom dev` process. */
  pid: number;
  temporal?: { address: string; namespace: string; /** The dev server's own process, when dev started one. */ pid?: number; uiUrl?: string };
  taskQueue: string;
  /** The HTTP server, once it listens. */
  http?: string;
  /** The Slack sandbox standing in for Slack, when no Slack is configured. */
  sandbox?: { apiUrl: string; pageUrl: string; botToken: string; signingSecret: string };
}

export function devFilePath(dataDir: string): string {
  return path.join(dataDir, DEV_FILE);
}

/** Written whole each time, 0600: it holds the sandbox's token and signing secret. */
export function writeDevFile(dataDir: string, contents: DevFile): void {
  const file = devFilePath(dataDir);
  writeFileSync(file, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function removeDevFile(dataDir: string): void {
  rmSync(devFilePath(dataDir), { force: true });
}

/** What the file says, whether or not its processes still run; undefined when there is none or it cannot be read. */
export function readDevFileAt(dataDir: string): DevFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(devFilePath(dataDir), 'utf8')) as DevFile;
    return typeof parsed?.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The running `signalroom dev` of this folder (`SIGNALROOM_DATA_DIR`, else
 * `./data`), or undefined: none, or one that no longer runs (killed outright,
 * it could not remove its file).
 */
export function runningDev(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): DevFile | undefined {
  const found = readDevFileAt(path.resolve(cwd, env.SIGNALROOM_DATA_DIR || 'data'));
  return found && alive(found.pid) ? found : undefined;
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
