/**
 * The configuration reference, made from the one schema (src/config/schema.ts):
 * a JSON Schema for `signalroom.yaml` that editors use
 * (`# yaml-language-server: $schema=…`), and the Markdown table in
 * docs/configuration.md. `npm run config-reference` writes both; a test
 * fails when either is stale or a key has no description.
 */
import { z } from 'zod';
import { ConfigSchema } from './schema';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  $schema?: string;
  title?: string;
};

export function configJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return { ...schema, title: 'signalroom.yaml', description: 'Signalroom configuration (docs/configuration.md)' };
}

export interface ConfigKey {
  /** Dotted, `<name>` for a map's own names and `[]` for list items: `approverGroups.<name>.users`. */
  path: string;
  type: string;
  description?: string;
  default?: unknown;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' or ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (s.type === 'object' && s.properties) return 'map';
  if (s.type === 'object') return `map of ${typeof s.additionalProperties === 'object' ? typeOf(s.additionalProperties) : 'values'}`;
  const bounds = [s.minimum !== undefined ? `≥ ${s.minimum}` : '', s.maximum !== undefined ? `≤ ${s.maximum}` : ''].filter(Boolean).join(', ');
  return `${Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'any')}${s.format === 'uri' ? ' (URL)' : s.format === 'email' ? ' (email)' : ''}${bounds ? ` (${bounds})` : ''}`;
}

/** Every key of the file, in the schema's order, with what it is. */
export function configKeys(schema: JsonSchema = configJsonSchema()): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const walk = (s: JsonSchema, path: string) => {
    if (path) keys.push({ path, type: typeOf(s), description: s.description, default: s.default });
    if (s.properties) for (const [name, child] of Object.entries(s.properties)) walk(child, path ? `${path}.${name}` : name);
    else if (s.type === 'object' && typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${path}.<name>`);
    else if (s.type === 'array' && s.items?.properties) walk(s.items, `${path}[]`);
    else if (s.anyOf) for (const option of s.anyOf.filter((o) => o.properties)) for (const [name, child] of Object.entries(option.properties!)) walk(child, `${path}.${name}`);
  };
  walk(schema, '');
  return keys;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function configReferenceMarkdown(): string {
  const rows = configKeys().map((k) => `| \`${k.path}\` | ${cell(k.type)} | ${k.default === undefined ? '' : `\`${cell(JSON.stringify(k.default))}\``} | ${cell(k.description ?? '')} |`);
  return [
    '# Configuration reference',
    '',
    'Every key of `signalroom.yaml`, made from the schema in `src/config/schema.ts` by `npm run config-reference` (a test fails when this page is stale).',
    'Editors that read JSON Schema check the file as you type with [`signalroom.schema.json`](signalroom.schema.json): put `# yaml-language-server: $schema=docs/signalroom.schema.json` on its first line.',
    'Any string may be `${VAR}` or `${VAR:-default}`, read from the environment when the file loads. A name under `approverGroups`, `projects` or `slack.connectors` that another key refers to must exist; an unknown key is refused with the closest known one.',
    '',
    '| key | type | default | what it is |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
