/**
 * One logger for every Signalroom process: pino's JSON lines on stdout, at
 * `LOG_LEVEL` (default `info`), with credentials redacted. The server hands
 * these options to Fastify; the worker installs the Temporal SDK's runtime
 * with `temporalLogger`, so the SDK's own lines, workflow `log` and activity
 * `log` come out the same way and one log pipeline reads both (README.md,
 * "Logs and errors").
 */
import pino, { type DestinationStream, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';

/** Never logged: credentials in headers, Slack signatures, tokens, response URLs (capabilities), at the top of a logged object or one level in. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'headers.authorization',
  'headers["x-slack-signature"]',
  'token',
  'botToken',
  'signingSecret',
  'response_url',
  'responseUrl',
  '*.token',
  '*.botToken',
  '*.signingSecret',
  '*.response_url',
  '*.responseUrl',
];

/** The level every process logs at. */
export function logLevel(): string {
  return process.env.LOG_LEVEL?.toLowerCase() || 'info';
}

/** pino's options as every Signalroom process uses them; `base` adds to them (Fastify's serializers) and may set the level. */
export function loggerOptions(base: LoggerOptions = {}): LoggerOptions {
  return {
    level: logLevel(),
    ...base,
    serializers: { error: pino.stdSerializers.err, ...base.serializers },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/** Log lines a process may hold while stdout's reader is behind: past this, lines are dropped and counted. */
export const LOG_QUEUE_BYTES = 16 * 1024 * 1024;

/**
 * stdout as pino writes it by default (queued: each write waits for the
 * last, lines logged meanwhile wait in memory; bench/README.md, Findings, on
 * why not synchronously), but with the queue bounded. A reader that falls
 * behind (a stalled log shipper) under a flood of logged requests otherwise
 * grows the process until it is killed
 * (test/reliability/log-reader-stalls.test.ts). Lines past the bound are
 * dropped whole; once the queue has drained, one warning on the same stdout
 * says how many.
 */
export function stdoutDestination(): DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: false, maxLength: LOG_QUEUE_BYTES });
  const reporter = pino(loggerOptions(), stdout);
  let dropped = 0;
  stdout.on('drop', () => {
    dropped += 1;
  });
  stdout.on('drain', () => {
    if (dropped === 0) return;
    const droppedLines = dropped;
    dropped = 0;
    reporter.warn({ droppedLines }, `dropped ${droppedLines} log lines: the reader of stdout fell behind`);
  });
  return stdout;
}

/** The logger of a process: JSON lines on stdout (or `destination`). */
export function createLogger(o: { level?: string; destination?: DestinationStream } = {}): PinoLogger {
  const options = loggerOptions(o.level ? { level: o.level } : {});
  return skipNeedlessRedaction(pino(options, o.destination ?? stdoutDestination()));
}

/** The first name of each path, as pino splits it: `a.b`, `a["b-c"]`, `*.token`. */
const PATH_PART = /[^.[\]]+|\[([^[\]]*?)\]/g;
function pathParts(path: string): string[] {
  return [...path.matchAll(PATH_PART)].map((m) => (m[1] !== undefined ? m[1].replace(/^(["'`])(.*)\1$/, '$2') : m[0]));
}

/**
 * pino's redaction, as it is, without the work it does where no path can
 * reach. pino passes every field of every line (a string, a number, an
 * object) to a redactor; with wildcard paths (`*.token`) every field has
 * one, and each call clones the value, parses each path again and walks it,
 * to change nothing in a string or in an object without the names the paths
 * start with. That was three quarters of the CPU time of the server's line
 * per click (bench/README.md, Findings).
 *
 * Each redactor of `logger` (shared with its children) is wrapped: a value
 * that is not an object, or an object in which none of the redactor's paths
 * can start (`name in value`, as the redactor looks), is written with
 * JSON.stringify, which is what the redactor writes for it; anything else
 * (and anything JSON.stringify cannot write) still goes to the redactor.
 * `test/unit/logging.test.ts` checks the lines are the same, byte for byte.
 * A redactor whose paths are not all plain names (a wildcard past the first
 * name) is left as it is.
 */
export function skipNeedlessRedaction<T extends PinoLogger>(logger: T): T {
  const { stringifiersSym, wildcardFirstSym } = pino.symbols;
  const redactors = (logger as unknown as Record<symbol, Record<string | symbol, ((value: unknown) => string) | undefined>>)[stringifiersSym];
  if (!redactors) return logger;
  const paths = REDACTED_PATHS.map(pathParts);
  const wildcardRest = paths.filter((p) => p[0] === '*').map((p) => p.slice(1));
  for (const key of [...Object.keys(redactors), wildcardFirstSym]) {
    const redact = redactors[key];
    if (!redact) continue;
    // What this redactor looks for under its field: the rest of the paths that start with it, and the wildcard ones.
    const rest = key === wildcardFirstSym ? wildcardRest : [...paths.filter((p) => p[0] === key).map((p) => p.slice(1)), ...wildcardRest];
    // A path that is the field itself censors every value: not a walk to skip.
    if (rest.some((p) => p.length === 0 || p.includes('*'))) continue;
    const starts = [...new Set(rest.map((p) => p[0]))];
    redactors[key] = (value: unknown) => {
      if (typeof value === 'object' && value !== null && starts.some((name) => name in value)) return redact(value);
      try {
        return JSON.stringify(value);
      } catch {
        return redact(value);
      }
    };
  }
  return logger;
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * A failure that is someone's mistake Signalroom already explains (a
 * non-retryable `Slack:…` or `Signalroom:…` failure: a channel that does not
 * exist, a missing scope) is logged as its type and message, without the
 * stack: forty lines of frames tell the person nothing the message does not.
 */
function explainedFailure(error: unknown): { type: string; message: string } | undefined {
  for (let e = error as { type?: unknown; nonRetryable?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.type === 'string' && /^(Slack|Signalroom):/.test(e.type) && e.nonRetryable === true) return { type: e.type, message: String(e.message) };
  }
  return undefined;
}

/** The Temporal SDK's logger interface over a pino logger: the SDK's metadata becomes the line's fields. */
export function temporalLogger(logger: PinoLogger): Logger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const explained = meta && explainedFailure(meta.error ?? meta.failure);
    logger[LEVELS[level] ?? 'info'](explained ? { ...meta, error: undefined, failure: explained } : { ...meta }, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/** The level of the SDK's native (Rust) lines forwarded to the logger: warnings unless LOG_LEVEL asks for more. */
export function coreLogLevel(): LogLevel {
  const level = logLevel();
  return level === 'trace' ? 'TRACE' : level === 'debug' ? 'DEBUG' : level === 'error' || level === 'fatal' ? 'ERROR' : 'WARN';
}
