/**
 * Finds or builds the pinned Temporal server and its SQL schema tool for
 * `signalroom cluster`: `go install` of the version the pinned CLI embeds,
 * cached beside the CLI, with the PostgreSQL schema files that ship in the
 * same module copied next to the binaries (so a cleaned Go module cache does
 * not lose them).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultCacheDir, findOnPath, goInstall } from '../cli-binary';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
const PACKAGES = ['cmd/server', 'cmd/tools/sql'].map((p) => `${TEMPORAL_SERVER_MODULE}/${p}@${TEMPORAL_SERVER_VERSION}`);

export interface TemporalServerBinaries {
  /** `temporal-server`: `--root DIR --config config --env development start`. */
  server: string;
  /** `temporal-sql-tool`: creates and migrates the schemas. */
  sqlTool: string;
  /** `schema/postgresql/v12` of the module: `temporal/` and `visibility/`, each with `versioned/`. */
  postgresSchemaDir: string;
}

export class GoNotFoundError extends Error {
  readonly code = 'go_not_found';
  constructor() {
    super(
      [
        `signalroom cluster builds the Temporal server ${TEMPORAL_SERVER_VERSION} from source with Go, and there is no \`go\` on PATH.`,
        'Install Go (https://go.dev/dl/, or your package manager: apt-get install golang), or add it to PATH (often: export PATH="$PATH:/usr/local/go/bin"), then run the command again.',
        `It runs once: go install ${PACKAGES.join(' ')}`,
        'For a single machine without Go, `signalroom dev` runs Temporal from the CLI instead.',
      ].join('\n'),
    );
  }
}

export function serverBinDir(cacheDir: string): string {
  return path.join(cacheDir, 'temporal-server', TEMPORAL_SERVER_VERSION);
}

function cached(cacheDir: string): TemporalServerBinaries {
  const dir = serverBinDir(cacheDir);
  return { server: path.join(dir, 'server'), sqlTool: path.join(dir, 'sql'), postgresSchemaDir: path.join(dir, 'schema', 'postgresql', 'v12') };
}

function complete(b: TemporalServerBinaries): boolean {
  return existsSync(b.server) && existsSync(b.sqlTool) && existsSync(path.join(b.postgresSchemaDir, 'temporal', 'versioned'));
}

export interface ObtainServerOptions {
  log?: (line: string) => void;
  /** @default $SIGNALROOM_CACHE_DIR or ~/.cache/signalroom */
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Returns the cached server, SQL tool and schema files, building them with Go on first use. */
export async function obtainTemporalServer(options: ObtainServerOptions = {}): Promise<TemporalServerBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const binaries = cached(options.cacheDir ?? defaultCacheDir(env));
  if (complete(binaries)) return binaries;

  const go = findOnPath('go', env);
  if (!go) throw new GoNotFoundError();
  const binDir = path.dirname(binaries.server);
  if (!existsSync(binaries.server) || !existsSync(binaries.sqlTool)) {
    await goInstall(go, PACKAGES, binDir, `the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool`, log);
  }
  // The module is in Go's cache after the build; `go mod download` names its folder.
  const download = spawnSync(go, ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`], {
    cwd: tmpdir(),
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  if (download.status !== 0) throw new Error(`go mod download ${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION} failed: ${download.stderr}`);
  const moduleDir = (JSON.parse(download.stdout) as { Dir: string }).Dir;
  cpSync(path.join(moduleDir, 'schema', 'postgresql', 'v12'), binaries.postgresSchemaDir, { recursive: true });
  if (!complete(binaries)) throw new Error(`The Temporal server build in ${binDir} is incomplete`);
  return binaries;
}
