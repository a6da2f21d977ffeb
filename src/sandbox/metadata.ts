/**
 * Slack's own published Web API metadata (arguments, required arguments,
 * scopes per token type, rate tier, errors), copied into `slack-api/` with its
 * MIT licence. The sandbox serves exactly these methods and may only answer
 * with errors listed here for the method or in the common errors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type RateTier = 't1' | 't2' | 't3' | 't4' | 't5';

export interface MethodMetadata {
  name: string;
  httpMethod: string;
  /** Scopes accepted per token type; any one of them lets the call through the method-level check. */
  scopes: { bot?: string[]; user?: string[] };
  rateTier: RateTier;
  args: string[];
  required: string[];
  errors: Set<string>;
}

export interface SlackApiMetadata {
  methods: Map<string, MethodMetadata>;
  commonErrors: Set<string>;
  /**
   * True when Slack lists `code` for `method`: its own errors, the common
   * errors, or UNLISTED_COMMON_ERRORS.
   */
  isListedError(method: string, code: string): boolean;
}

/**
 * Errors every Slack method returns that the published common-errors list
 * leaves out. `invalid_auth` (a token Slack does not know) is answered by
 * every method of the real Web API, yet appears only in auth.test's list.
 * Kept apart from the copied metadata, which stays as Slack published it.
 */
export const UNLISTED_COMMON_ERRORS: ReadonlySet<string> = new Set(['invalid_auth']);

/** Where the metadata lives: `SLACK_API_METADATA_DIR`, else the copy beside this file. */
export function metadataDir(): string {
  return process.env.SLACK_API_METADATA_DIR ?? path.join(__dirname, 'slack-api');
}

let cached: { dir: string; value: SlackApiMetadata } | undefined;

export function loadSlackApiMetadata(dir = metadataDir()): SlackApiMetadata {
  if (cached?.dir === dir) return cached.value;
  const methods = new Map<string, MethodMetadata>();
  const methodsDir = path.join(dir, 'methods');
  for (const file of readdirSync(methodsDir).filter((f) => f.endsWith('.json')).sort()) {
    const raw = JSON.parse(readFileSync(path.join(methodsDir, file), 'utf8'));
    const name = file.replace(/\.json$/, '');
    methods.set(name, {
      name,
      httpMethod: raw.http_method ?? 'POST',
      scopes: raw.scope ?? {},
      rateTier: (raw.rate_limits ?? 't3') as RateTier,
      args: Object.keys(raw.args?.properties ?? {}),
      required: raw.args?.required ?? [],
      errors: new Set(Object.keys(raw.errors ?? {})),
    });
  }
  const common = JSON.parse(readFileSync(path.join(dir, 'common-errors.json'), 'utf8'));
  const commonErrors = new Set(Object.keys(common.errors ?? {}));
  const value: SlackApiMetadata = {
    methods,
    commonErrors,
    isListedError: (method, code) => commonErrors.has(code) || UNLISTED_COMMON_ERRORS.has(code) || (methods.get(method)?.errors.has(code) ?? false),
  };
  cached = { dir, value };
  return value;
}
