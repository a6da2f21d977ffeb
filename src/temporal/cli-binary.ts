/**
 * Finds or obtains the Temporal CLI, whose `server start-dev` is Signalroom's
 * embedded Temporal server. The SDK's own auto-download needs the internet;
 * this module also works where only the Go module proxy is reachable.
 *
 * Order: $TEMPORAL_CLI, `temporal` on PATH, a cached build, `go install` of
 * the pinned version into the cache, the official release download.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

/**
 * The pinned CLI version. Tags from v1.6.0 on carry a `replace` directive in
 * their go.mod, which `go install pkg@version` refuses, so v1.5.1 is the newest
 * one that builds from the module proxy alone.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export class TemporalCliNotFoundError extends Error {
  readonly code = 'temporal_cli_not_found';
  constructor(tried: string[]) {
    super(
      [
        'Could not find or obtain the Temporal CLI. Tried:',
        ...tried.map((t) => `  - ${t}`),
        'Install it in one of these ways, then run the command again:',
        `  - with Go:   go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}   (then put $(go env GOPATH)/bin on PATH)`,
        '  - download:  https://temporal.download/cli/archive/latest (unpack `temporal` onto your PATH)',
        '  - Homebrew:  brew install temporal',
        '  - or point TEMPORAL_CLI at an existing binary, or TEMPORAL_ADDRESS at a running cluster.',
      ].join('\n'),
    );
  }
}

export interface ObtainOptions {
  /** Where progress lines go. @default process.stderr */
  log?: (line: string) => void;
  /** Cache folder for a built or downloaded CLI. @default $SIGNALROOM_CACHE_DIR or ~/.cache/signalroom */
  cacheDir?: string;
  /** Environment to read TEMPORAL_CLI and PATH from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Allow the release download as a last resort. @default true */
  allowDownload?: boolean;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SIGNALROOM_CACHE_DIR) return env.SIGNALROOM_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'signalroom');
}

export function cachedCliPath(cacheDir: string): string {
  return path.join(cacheDir, 'temporal-cli', TEMPORAL_CLI_VERSION, process.platform === 'win32' ? 'temporal.exe' : 'temporal');
}

export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function works(binary: string): boolean {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0;
}

/** Returns the path of a working Temporal CLI, building or downloading it if needed. */
export async function obtainTemporalCli(options: ObtainOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const tried: string[] = [];

  if (env.TEMPORAL_CLI) {
    if (works(env.TEMPORAL_CLI)) return env.TEMPORAL_CLI;
    tried.push(`TEMPORAL_CLI=${env.TEMPORAL_CLI} (does not run)`);
  } else tried.push('TEMPORAL_CLI (not set)');

  const onPath = findOnPath('temporal', env);
  if (onPath && works(onPath)) return onPath;
  tried.push(onPath ? `${onPath} (does not run)` : '`temporal` on PATH (not found)');

  const cached = cachedCliPath(cacheDir);
  if (existsSync(cached) && works(cached)) return cached;
  tried.push(`${cached} (not cached yet)`);

  const go = findOnPath('go', env);
  if (go) {
    try {
      await goInstall(go, [`${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], path.dirname(cached), `the Temporal CLI ${TEMPORAL_CLI_VERSION}`, log);
      if (works(cached)) return cached;
      tried.push(`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} (built, but the binary does not run)`);
    } catch (err) {
      tried.push(`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} (${(err as Error).message})`);
    }
  } else tried.push('go install (Go is not installed)');

  if (options.allowDownload !== false) {
    try {
      await downloadRelease(cached, log);
      if (works(cached)) return cached;
      tried.push('official download (the downloaded binary does not run)');
    } catch (err) {
      tried.push(`official download (${(err as Error).message})`);
    }
  }
  throw new TemporalCliNotFoundError(tried);
}

/**
 * `go install` of pinned packages into `binDir`, with a progress line every
 * 15 s (the first build of the Temporal server takes minutes).
 */
export async function goInstall(go: string, packages: string[], binDir: string, what: string, log: (line: string) => void): Promise<void> {
  mkdirSync(binDir, { recursive: true });
  log(`Building ${what} with Go into ${binDir}.`);
  log('The first build downloads and compiles the Temporal server: it takes a few minutes (later starts reuse it).');
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', ...packages], {
      env: { ...process.env, GOBIN: binDir, GOFLAGS: process.env.GOFLAGS ?? '-mod=mod' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let downloads = 0;
    let lastError = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (line.startsWith('go: downloading')) downloads += 1;
        else if (line.trim()) lastError = line.trim();
      }
    });
    const ticker = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      log(`  … still building ${what} (${secs}s, ${downloads} modules downloaded)`);
    }, 15_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`go install exited with ${code}${lastError ? `: ${lastError}` : ''}`));
    });
  });
  log(`Built ${what} in ${Math.round((Date.now() - started) / 1000)}s.`);
}

async function downloadRelease(target: string, log: (line: string) => void): Promise<void> {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const url = `https://temporal.download/cli/archive/${TEMPORAL_CLI_VERSION}?platform=${platform}&arch=${arch}`;
  log(`Downloading the Temporal CLI from ${url}`);
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!res.ok || !res.body) throw new Error(`download failed with HTTP ${res.status}`);
  const work = path.join(tmpdir(), `signalroom-temporal-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const archive = path.join(work, 'temporal.tar.gz');
  await pipeline(Readable.fromWeb(res.body as never), createWriteStream(archive));
  const untar = spawnSync('tar', ['-xzf', archive, '-C', work]);
  if (untar.status !== 0) throw new Error('could not unpack the downloaded archive');
  const found = readdirSync(work).find((f) => f === 'temporal' || f === 'temporal.exe');
  if (!found) throw new Error('the archive has no temporal binary');
  mkdirSync(path.dirname(target), { recursive: true });
  renameSync(path.join(work, found), target);
  rmSync(work, { recursive: true, force: true });
}
