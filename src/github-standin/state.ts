/**
 * What the stand-in knows: Apps (their public key, webhook secret and
 * installations), the installation tokens it issued, workflow runs waiting on
 * an App's deployment protection rule, the reviews it received, the
 * deliveries it sent and the REST calls it answered.
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { publicKeyFrom } from './jwt';

export interface StandInInstallationSpec {
  id: number;
  /** Full names, `owner/name`. */
  repositories: string[];
  /** The account the App is installed on. @default the owner of the first repository */
  account?: string;
  /** @default 'Organization' */
  accountType?: 'Organization' | 'User';
}

export interface StandInAppSpec {
  appId: number;
  /** @default 'signalroom' */
  slug?: string;
  /** PEM of the App's public key (or of its private key: only the public half is kept). */
  publicKey: string;
  webhookSecret: string;
  /** Where the App's deliveries go (settable later with `setWebhookUrl`). */
  webhookUrl?: string;
  /** The App's permissions. @default actions: read, deployments: write, metadata: read */
  permissions?: Record<string, 'read' | 'write'>;
  installations: StandInInstallationSpec[];
}

export const DEFAULT_APP_PERMISSIONS: Record<string, 'read' | 'write'> = { actions: 'read', deployments: 'write', metadata: 'read' };

export interface Repository {
  id: number;
  nodeId: string;
  owner: string;
  name: string;
  fullName: string;
}

export interface Account {
  login: string;
  id: number;
  type: 'Organization' | 'User';
}

export interface Installation {
  id: number;
  appId: number;
  account: Account;
  repositories: Repository[];
}

export interface App {
  id: number;
  slug: string;
  clientId: string;
  publicKey: KeyObject;
  webhookSecret: string;
  webhookUrl?: string;
  /** GitHub's id of the App's webhook (`X-GitHub-Hook-ID`). */
  hookId: number;
  permissions: Record<string, 'read' | 'write'>;
  installations: Map<number, Installation>;
}

export interface InstallationToken {
  token: string;
  appId: number;
  installationId: number;
  /** Epoch ms. */
  expiresAt: number;
  /** Full names the token may reach. */
  repositories: string[];
  permissions: Record<string, 'read' | 'write'>;
}

export interface GitHubUser {
  login: string;
  id: number;
}

/** A workflow run whose job targets an environment guarded by an App's deployment protection rule. */
export interface WorkflowRun {
  id: number;
  repository: string;
  environment: string;
  appId: number;
  installationId: number;
  sha: string;
  ref: string;
  /** The event that started the workflow, e.g. `push`. */
  event: string;
  sender: GitHubUser;
  /** `waiting` while the rule is pending; `in_progress` once approved; `completed` when rejected or finished. */
  status: 'waiting' | 'in_progress' | 'completed';
  conclusion?: 'success' | 'failure' | 'cancelled';
  /** The App's rule: pending until a review with a state. */
  gate: 'pending' | 'approved' | 'rejected';
  htmlUrl: string;
  deploymentCallbackUrl: string;
  createdAt: number;
}

/** One request to the review endpoint, whatever its answer. */
export interface ReviewRecord {
  runId: number;
  repository: string;
  body: unknown;
  environmentName?: string;
  state?: 'approved' | 'rejected';
  comment?: string;
  /** The HTTP status answered. */
  status: number;
  /** The App and installation of the token, when it was valid. */
  appId?: number;
  installationId?: number;
  at: number;
}

/** One REST request as the stand-in saw it. */
export interface CallRecord {
  seq: number;
  operationId: string;
  method: string;
  url: string;
  status: number;
  at: number;
  /** The request body, parsed (tokens and JWTs are never recorded). */
  body?: unknown;
  /** Set when an injected fault decided the answer. */
  fault?: string;
}

/** An answer of the stand-in's own that GitHub's description refuses: a stand-in bug. */
export interface Violation {
  operationId: string;
  status: number;
  message: string;
}

let repoSeq = 500_000_000;
let accountSeq = 90_000_000;

function nodeId(kind: string, id: number): string {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString('base64');
}

export function repositoryFrom(fullName: string): Repository {
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(fullName);
  if (!m) throw new Error(`not a repository's full name (owner/name): ${fullName}`);
  const id = repoSeq++;
  return { id, nodeId: nodeId('Repository', id), owner: m[1]!, name: m[2]!, fullName };
}

/** A stable id for a GitHub login (the same login, the same id, within a process). */
export function userIdFor(login: string): number {
  return 1_000_000 + (createHash('sha256').update(login.toLowerCase()).digest().readUInt32BE(0) % 90_000_000);
}

export class StandInState {
  readonly apps = new Map<number, App>();
  readonly tokens = new Map<string, InstallationToken>();
  readonly runs = new Map<number, WorkflowRun>();
  readonly reviews: ReviewRecord[] = [];
  readonly calls: CallRecord[] = [];
  readonly violations: Violation[] = [];
  private nextRunId = 7_000_000_001;
  /** Bumped on every change: the page polls it. */
  version = 0;

  addApp(spec: StandInAppSpec): App {
    if (this.apps.has(spec.appId)) throw new Error(`App ${spec.appId} is already configured`);
    const installations = new Map<number, Installation>();
    for (const i of spec.installations) {
      if ([...this.apps.values()].some((a) => a.installations.has(i.id)) || installations.has(i.id)) throw new Error(`installation ${i.id} is already configured`);
      const repositories = i.repositories.map(repositoryFrom);
      const login = i.account ?? repositories[0]?.owner;
      if (!login) throw new Error(`installation ${i.id} needs an account or a repository`);
      const foreign = repositories.find((r) => r.owner !== login);
      if (foreign) throw new Error(`installation ${i.id} is on ${login}: ${foreign.fullName} belongs to another account`);
      installations.set(i.id, { id: i.id, appId: spec.appId, account: { login, id: accountSeq++, type: i.accountType ?? 'Organization' }, repositories });
    }
    const app: App = {
      id: spec.appId,
      slug: spec.slug ?? 'signalroom',
      clientId: `Iv23li${randomBytes(7).toString('hex')}`,
      publicKey: publicKeyFrom(spec.publicKey),
      webhookSecret: spec.webhookSecret,
      webhookUrl: spec.webhookUrl,
      hookId: 400_000_000 + spec.appId,
      permissions: { ...(spec.permissions ?? DEFAULT_APP_PERMISSIONS) },
      installations,
    };
    this.apps.set(app.id, app);
    this.changed();
    return app;
  }

  app(appId: number): App {
    const app = this.apps.get(appId);
    if (!app) throw new Error(`no App ${appId} in the stand-in`);
    return app;
  }

  /** The installation (of any App, or of `appId`) that holds the repository. */
  installationFor(fullName: string, appId?: number): Installation | undefined {
    for (const app of this.apps.values()) {
      if (appId !== undefined && app.id !== appId) continue;
      for (const i of app.installations.values()) if (i.repositories.some((r) => r.fullName.toLowerCase() === fullName.toLowerCase())) return i;
    }
    return undefined;
  }

  installation(id: number): Installation | undefined {
    for (const app of this.apps.values()) {
      const i = app.installations.get(id);
      if (i) return i;
    }
    return undefined;
  }

  newRunId(): number {
    return this.nextRunId++;
  }

  changed(): void {
    this.version++;
  }

  /** Back to the configured Apps: no tokens, runs, reviews or records. */
  reset(): void {
    this.tokens.clear();
    this.runs.clear();
    this.reviews.length = 0;
    this.calls.length = 0;
    this.violations.length = 0;
    this.changed();
  }
}
