/**
 * Temporal's dynamic config, in one file for every Temporal Signalroom starts
 * or describes: `signalroom cluster` points its nodes at it, docker-compose.yml
 * mounts it, and the dev server (`signalroom dev`, the tests) gets the same
 * settings as `--dynamic-config-value` arguments.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const DYNAMIC_CONFIG_FILE = path.resolve(__dirname, '../../deploy/temporal/dynamicconfig.yaml');

type Entry = { value: unknown; constraints?: Record<string, unknown> };

/** `--dynamic-config-value KEY=JSON` for each setting's unconstrained value. */
export function devServerDynamicConfigArgs(file = DYNAMIC_CONFIG_FILE): string[] {
  const settings = (parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, Entry[]>;
  return Object.entries(settings).flatMap(([key, entries]) => {
    const entry = entries.find((e) => !e.constraints || Object.keys(e.constraints).length === 0);
    return entry ? ['--dynamic-config-value', `${key}=${JSON.stringify(entry.value)}`] : [];
  });
}
