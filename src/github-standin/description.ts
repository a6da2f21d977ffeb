/**
 * GitHub's own published descriptions, read from the packages GitHub's
 * Octokit team publishes them in: the REST API (`@octokit/openapi`,
 * `generated/api.github.com.json`) and the webhooks (`@octokit/openapi-webhooks`,
 * `generated/api.github.com.json`, with its examples). Both are large (13 MB
 * and 5 MB of JSON): each is parsed once, the few operations, webhooks and
 * examples the stand-in serves are copied out with the components they
 * reference, and the rest is left to the garbage collector.
 *
 * Bodies are validated with Ajv against exactly these schemas: a request the
 * description refuses is refused, and an answer or a delivery of the
 * stand-in's own that the description refuses is a stand-in bug.
 */
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** The REST operations the stand-in serves, by GitHub's operationId. */
export const SERVED_OPERATIONS = [
  'apps/get-authenticated',
  'apps/get-installation',
  'apps/get-repo-installation',
  'apps/create-installation-access-token',
  'actions/review-custom-gates-for-run',
] as const;
export type OperationId = (typeof SERVED_OPERATIONS)[number];

/** The webhook the stand-in delivers, by its key in the webhooks description. */
export const DEPLOYMENT_PROTECTION_RULE_REQUESTED = 'deployment-protection-rule-requested';

/** REST examples a payload or an answer is built from (components.examples). */
const REST_EXAMPLES = ['deployment', 'integration', 'installation', 'simple-user'] as const;
/**
 * The published webhook example the delivery's `repository` and `sender` come
 * from. The webhooks description has no example of `deployment_protection_rule`
 * itself; this one is the example of a GitHub App's event (a check run's
 * requested action) whose repository and sender have the shapes the
 * deployment_protection_rule schema asks for.
 */
export const WEBHOOK_EXAMPLE_FOR_PAYLOAD = 'check-run-requested-action';

export interface OperationDescription {
  operationId: OperationId;
  /** Upper case, e.g. `POST`. */
  method: string;
  /** As published, e.g. `/app/installations/{installation_id}/access_tokens`. */
  path: string;
  /** GitHub's page for the operation: error answers carry it as `documentation_url`. */
  documentationUrl: string;
  /** Path parameters and their published schema (all integers or strings). */
  pathParameters: Array<{ name: string; schema: Record<string, unknown> }>;
  requestBody?: { required: boolean; schema: Record<string, unknown>; examples: unknown[] };
  /** The published schema of each status's JSON body (undefined: no body). */
  responses: Record<string, Record<string, unknown> | undefined>;
}

export interface WebhookDescription {
  /** e.g. `deployment-protection-rule-requested` */
  key: string;
  /** `X-GitHub-Event`: the part before the action, with underscores (`deployment_protection_rule`). */
  event: string;
  schema: Record<string, unknown>;
  /** Header names the description says GitHub sends, as published. */
  headers: string[];
}

export interface GitHubDescriptions {
  /** `info.version` of each description. */
  versions: { rest: string; webhooks: string };
  operations: Map<OperationId, OperationDescription>;
  /** From the webhooks description. */
  webhook: WebhookDescription;
  /** The same webhook as the REST description declares it (`x-webhooks`): newer, with `sha` and `ref`. */
  restWebhookSchema: Record<string, unknown>;
  restExamples: Record<(typeof REST_EXAMPLES)[number], Record<string, unknown>>;
  /** The webhook example the delivery's repository and sender come from. */
  webhookExample: Record<string, unknown>;
  validators: Validators;
}

type Json = Record<string, unknown>;
type JsonDocument = { info: { version: string }; components: Record<string, Record<string, Json>> } & Json;

const REST_ID = 'https://github-standin.invalid/rest.json';
const WEBHOOKS_ID = 'https://github-standin.invalid/webhooks.json';

export function restDescriptionPath(): string {
  return require.resolve('@octokit/openapi/generated/api.github.com.json');
}

export function webhooksDescriptionPath(): string {
  return require.resolve('@octokit/openapi-webhooks/generated/api.github.com.json');
}

function readDocument(file: string): JsonDocument {
  return JSON.parse(readFileSync(file, 'utf8')) as JsonDocument;
}

/** Every `#/components/<kind>/<name>` that `value` references, transitively, copied out of `doc`. */
function referencedComponents(doc: JsonDocument, roots: unknown[]): Record<string, Record<string, Json>> {
  const out: Record<string, Record<string, Json>> = {};
  const pending = [...roots];
  while (pending.length) {
    const v = pending.pop();
    if (Array.isArray(v)) pending.push(...v);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === '$ref' && typeof child === 'string') {
          const m = /^#\/components\/([^/]+)\/([^/]+)$/.exec(child);
          if (!m) throw new Error(`unexpected $ref ${child} in GitHub's description`);
          const [, kind, name] = m as unknown as [string, string, string];
          if (out[kind]?.[name]) continue;
          const target = doc.components[kind]?.[name];
          if (!target) throw new Error(`GitHub's description references ${child}, which it does not define`);
          (out[kind] ??= {})[name] = target;
          pending.push(target);
        } else pending.push(child);
      }
    }
  }
  return out;
}

function deref<T>(doc: JsonDocument, value: T): T {
  const ref = (value as Json | undefined)?.$ref;
  if (typeof ref !== 'string') return value;
  const [, kind, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref) ?? [];
  return deref(doc, doc.components[kind!]?.[name!] as T);
}

function extractOperations(doc: JsonDocument): Map<OperationId, OperationDescription> {
  const wanted = new Set<string>(SERVED_OPERATIONS);
  const out = new Map<OperationId, OperationDescription>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!wanted.has(op.operationId as string)) continue;
      const body = op.requestBody as Json | undefined;
      const json = (body?.content as Record<string, Json> | undefined)?.['application/json'];
      const responses: Record<string, Json | undefined> = {};
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>)) {
        const resolved = deref(doc, r);
        responses[status] = ((resolved.content as Record<string, Json> | undefined)?.['application/json']?.schema as Json | undefined) ?? undefined;
      }
      out.set(op.operationId as OperationId, {
        operationId: op.operationId as OperationId,
        method: method.toUpperCase(),
        path,
        documentationUrl: ((op.externalDocs as Json | undefined)?.url as string | undefined) ?? 'https://docs.github.com/rest',
        pathParameters: ((op.parameters as Json[] | undefined) ?? [])
          .map((p) => deref(doc, p))
          .filter((p) => p.in === 'path')
          .map((p) => ({ name: p.name as string, schema: p.schema as Json })),
        requestBody: json
          ? {
              required: body?.required === true,
              schema: json.schema as Json,
              examples: Object.values((json.examples as Record<string, Json> | undefined) ?? {}).map((e) => deref(doc, e).value),
            }
          : undefined,
        responses,
      });
    }
  }
  for (const id of SERVED_OPERATIONS) if (!out.has(id)) throw new Error(`GitHub's REST description has no operation ${id}`);
  return out;
}

/**
 * `schema` for Ajv: its local `#/components/…` references pointed into the
 * document registered as `id`, and OpenAPI 3.0's `nullable` beside `anyOf`
 * (no `type`, which Ajv's own `nullable` needs) said in JSON Schema.
 */
function anchored(schema: unknown, id: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => anchored(s, id));
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${id}${v}` : anchored(v, id);
  if (out.nullable === true && out.type === undefined) {
    const { nullable: _nullable, ...rest } = out;
    return { anyOf: [rest, { type: 'null' }] };
  }
  return out;
}

/**
 * A request body's schema with every branch's `required` dropped, all of them
 * applying at once. GitHub's review body is `anyOf` two shapes that differ
 * only in what is required (a comment, or a state), so the `anyOf` alone lets
 * a body with a comment carry any `state` at all; GitHub refuses a `state`
 * outside `approved | rejected` whatever else the body holds.
 */
function declaredFieldsSchema(schema: Json, resolve: (ref: string) => Json): Json | undefined {
  const branches = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (!branches) return undefined;
  return {
    allOf: branches.map((b) => {
      const { required: _required, ...fields } = typeof b.$ref === 'string' ? resolve(b.$ref) : b;
      return fields;
    }),
  };
}

/** A body that does not conform: GitHub's words, and Ajv's errors. */
export interface SchemaProblem {
  message: string;
  errors: ErrorObject[];
}

export class Validators {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(
    private readonly restComponents: Record<string, Record<string, Json>>,
    private readonly webhookComponents: Record<string, Record<string, Json>>,
  ) {
    // The descriptions carry OpenAPI keywords (`example`, `x-github`, `discriminator`) that are not JSON Schema: not strict.
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats(this.ajv);
    this.ajv.addSchema(anchored({ $id: REST_ID, components: restComponents }, REST_ID) as Json);
    this.ajv.addSchema(anchored({ $id: WEBHOOKS_ID, components: webhookComponents }, WEBHOOKS_ID) as Json);
  }

  private compile(key: string, schema: Json, doc: 'rest' | 'webhooks'): ValidateFunction {
    let v = this.cache.get(key);
    if (!v) {
      v = this.ajv.compile(anchored(schema, doc === 'rest' ? REST_ID : WEBHOOKS_ID) as Json);
      this.cache.set(key, v);
    }
    return v;
  }

  /** Why `value` does not conform to `schema` (from the REST or the webhooks description), or undefined. */
  problem(key: string, schema: Json, doc: 'rest' | 'webhooks', value: unknown): SchemaProblem | undefined {
    const validate = this.compile(key, schema, doc);
    if (validate(value)) {
      const components = doc === 'rest' ? this.restComponents : this.webhookComponents;
      const declared = declaredFieldsSchema(schema, (ref) => {
        const [, kind, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref) ?? [];
        return components[kind!]![name!]!;
      });
      if (!declared) return undefined;
      const strictFields = this.compile(`${key}#declared`, declared, doc);
      if (strictFields(value)) return undefined;
      return { message: githubMessage(strictFields.errors ?? [], value), errors: strictFields.errors ?? [] };
    }
    return { message: githubMessage(validate.errors ?? [], value), errors: validate.errors ?? [] };
  }
}

function pointerToProperties(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `items` : `properties/${p}`))
    .join('/');
}

function at(value: unknown, instancePath: string): unknown {
  let v = value;
  for (const p of instancePath.split('/').filter(Boolean)) v = (v as Json | undefined)?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

/** Ajv's errors in the words GitHub answers a body its schema refuses with. */
export function githubMessage(errors: ErrorObject[], value: unknown): string {
  const lines = new Set<string>();
  for (const e of errors) {
    const where = pointerToProperties(e.instancePath);
    const got = JSON.stringify(at(value, e.instancePath));
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') lines.add(`No subschema in "${e.keyword}" matched.`);
    else if (e.keyword === 'required') lines.add(`"${(e.params as { missingProperty: string }).missingProperty}" wasn't supplied.`);
    else if (e.keyword === 'enum') lines.add(`For '${where}', ${got} is not one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}.`);
    else if (e.keyword === 'type') lines.add(`For '${where}', ${got} is not ${/^[aeiou]/.test(String((e.params as { type: string }).type)) ? 'an' : 'a'} ${(e.params as { type: string }).type}.`);
    else lines.add(`For '${where || 'body'}', ${got} ${e.message ?? 'is not valid'}.`);
  }
  return `Invalid request.\n\n${[...lines].join('\n')}`;
}

let cached: GitHubDescriptions | undefined;

/**
 * Reads both descriptions (once per process) and keeps only what the
 * stand-in serves. Throws, naming the package, when they are not installed:
 * they are development dependencies, for tests and `signalroom dev`.
 */
export function loadGitHubDescriptions(): GitHubDescriptions {
  if (cached) return cached;
  let restFile: string;
  let webhooksFile: string;
  try {
    restFile = restDescriptionPath();
    webhooksFile = webhooksDescriptionPath();
  } catch {
    throw new Error("the GitHub stand-in needs GitHub's published descriptions: npm install (they are the development dependencies @octokit/openapi and @octokit/openapi-webhooks)");
  }

  const rest = readDocument(restFile);
  const operations = extractOperations(rest);
  const restWebhook = (rest['x-webhooks'] as Record<string, { post: Json }>)[DEPLOYMENT_PROTECTION_RULE_REQUESTED]!.post;
  const restWebhookSchema = ((restWebhook.requestBody as Json).content as Record<string, Json>)['application/json']!.schema as Json;
  const restExamples = Object.fromEntries(REST_EXAMPLES.map((k) => [k, (rest.components.examples![k]!.value as Json)])) as GitHubDescriptions['restExamples'];
  const opRoots = [...operations.values()].flatMap((o) => [o.requestBody?.schema, ...Object.values(o.responses)]);
  const restComponents = referencedComponents(rest, [...opRoots, restWebhookSchema]);
  const restVersion = rest.info.version;

  const hooks = readDocument(webhooksFile);
  const hook = (hooks.webhooks as Record<string, { post: Json }>)[DEPLOYMENT_PROTECTION_RULE_REQUESTED];
  if (!hook) throw new Error(`GitHub's webhooks description has no webhook ${DEPLOYMENT_PROTECTION_RULE_REQUESTED}`);
  const schema = ((hook.post.requestBody as Json).content as Record<string, Json>)['application/json']!.schema as Json;
  const webhookExample = hooks.components.examples![WEBHOOK_EXAMPLE_FOR_PAYLOAD]!.value as Json;
  const webhookComponents = referencedComponents(hooks, [schema]);
  const webhook: WebhookDescription = {
    key: DEPLOYMENT_PROTECTION_RULE_REQUESTED,
    event: (hook.post['x-github'] as Json).subcategory as string,
    schema,
    headers: ((hook.post.parameters as Json[]) ?? []).filter((p) => p.in === 'header').map((p) => p.name as string),
  };

  cached = {
    versions: { rest: restVersion, webhooks: hooks.info.version },
    operations,
    webhook,
    restWebhookSchema,
    restExamples: structuredClone(restExamples),
    webhookExample: structuredClone(webhookExample),
    validators: new Validators(restComponents, webhookComponents),
  };
  return cached;
}

/**
 * Every webhook example the webhooks description publishes, with the schema
 * of its webhook, for checking the stand-in's validation against GitHub's own
 * examples. Reads the description again: for tests, not kept.
 */
export function publishedWebhookExamples(): Array<{ webhook: string; schema: Json; example: unknown; validators: Validators }> {
  const hooks = readDocument(webhooksDescriptionPath());
  const out: Array<{ webhook: string; schema: Json; example: unknown }> = [];
  for (const [key, w] of Object.entries(hooks.webhooks as Record<string, { post: Json }>)) {
    const json = ((w.post.requestBody as Json).content as Record<string, Json>)['application/json'];
    for (const e of Object.values((json?.examples as Record<string, Json> | undefined) ?? {})) out.push({ webhook: key, schema: json!.schema as Json, example: deref(hooks, e).value });
  }
  const validators = new Validators({}, referencedComponents(hooks, out.map((o) => o.schema)));
  return out.map((o) => ({ ...o, validators }));
}
