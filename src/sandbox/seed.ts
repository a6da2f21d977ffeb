/**
 * Seeding: the default demo workspace and the spec tests use to build their
 * own. Users, groups and channel members may be named by id or by name.
 */
import type { SandboxState, Team } from './state';

export interface UserSeed {
  id?: string;
  name: string;
  realName?: string;
  email?: string;
  isAdmin?: boolean;
}

export interface GroupSeed {
  id?: string;
  handle: string;
  name?: string;
  description?: string;
  /** User ids or names. */
  users?: string[];
}

export interface ChannelSeed {
  id?: string;
  name: string;
  isPrivate?: boolean;
  /** User ids or names; `bot` (or the bot's id) makes the app's bot a member. */
  members?: string[];
  topic?: string;
  purpose?: string;
  archived?: boolean;
  /** Other workspaces of the same organization the channel is shared with (Enterprise Grid). */
  sharedWith?: string[];
}

export interface WorkspaceSeed {
  id?: string;
  name: string;
  domain?: string;
  /** The Enterprise Grid organization (an `enterprises` entry) the workspace belongs to. */
  enterpriseId?: string;
  /** Fixed ids for the app's bot user and bot in this workspace. */
  botUserId?: string;
  botId?: string;
  users?: UserSeed[];
  groups?: GroupSeed[];
  channels?: ChannelSeed[];
}

/** An Enterprise Grid organization; its workspaces name it by `enterpriseId`. */
export interface EnterpriseSeed {
  id: string;
  name: string;
}

export interface SeedSpec {
  enterprises?: EnterpriseSeed[];
  workspaces: WorkspaceSeed[];
}

export const DEFAULT_TEAM_ID = 'T0SANDBOX';

export const DEMO_ENTERPRISE_ID = 'E0SANDBOX';

/**
 * The demo organization (Enterprise Grid E0SANDBOX) of two workspaces. The
 * default one: five people, three groups, #general, #deploys and #incidents
 * (the bot is in the last two). The second, T0LABS: frank (W0FRANK) and
 * #labs; #deploys and #incidents are shared with it, so frank clicks there
 * as a person of another workspace of the organization.
 */
export const DEMO_SEED: SeedSpec = {
  enterprises: [{ id: DEMO_ENTERPRISE_ID, name: 'Signalroom Sandbox Org' }],
  workspaces: [
    {
      id: DEFAULT_TEAM_ID,
      enterpriseId: DEMO_ENTERPRISE_ID,
      name: 'Signalroom Sandbox',
      domain: 'signalroom-sandbox',
      botUserId: 'U0SIGNALRM',
      botId: 'B0SIGNALRM',
      users: [
        { id: 'U0ALICE', name: 'alice', realName: 'Alice Archer', email: 'alice@example.com', isAdmin: true },
        { id: 'U0BOB', name: 'bob', realName: 'Bob Baker', email: 'bob@example.com' },
        { id: 'U0CAROL', name: 'carol', realName: 'Carol Chen', email: 'carol@example.com' },
        { id: 'U0DAVE', name: 'dave', realName: 'Dave Diaz', email: 'dave@example.com' },
        { id: 'U0ERIN', name: 'erin', realName: 'Erin Evans', email: 'erin@example.com' },
      ],
      groups: [
        { id: 'S0ONCALL', handle: 'oncall', name: 'On-call', description: 'Whoever carries the pager this week', users: ['alice', 'bob'] },
        { id: 'S0SRETEAM', handle: 'sre-team', name: 'SRE team', description: 'Site reliability engineering', users: ['alice', 'bob', 'carol'] },
        { id: 'S0RELMGRS', handle: 'release-managers', name: 'Release managers', description: 'May approve production deployments', users: ['carol', 'dave'] },
      ],
      channels: [
        { id: 'C0GENERAL', name: 'general', members: ['alice', 'bob', 'carol', 'dave', 'erin'], purpose: 'Company-wide announcements' },
        { id: 'C0DEPLOYS', name: 'deploys', members: ['alice', 'carol', 'dave', 'bot'], purpose: 'Deployment approvals', sharedWith: ['T0LABS'] },
        { id: 'C0INCIDENTS', name: 'incidents', members: ['alice', 'bob', 'carol', 'bot'], purpose: 'Incident coordination', sharedWith: ['T0LABS'] },
      ],
    },
    {
      id: 'T0LABS',
      enterpriseId: DEMO_ENTERPRISE_ID,
      name: 'Signalroom Sandbox Labs',
      domain: 'signalroom-sandbox-labs',
      botUserId: 'U0SIGNALLB',
      botId: 'B0SIGNALLB',
      users: [{ id: 'W0FRANK', name: 'frank', realName: 'Frank Fischer', email: 'frank@example.com' }],
      channels: [{ id: 'C0LABS', name: 'labs', members: ['frank'], purpose: 'The labs workspace' }],
    },
  ],
};

/** Adds every workspace of `spec`; returns the teams created. */
export function applySeed(state: SandboxState, spec: SeedSpec): Team[] {
  for (const e of spec.enterprises ?? []) state.addEnterprise(e);
  const teams = spec.workspaces.map((w) => state.addTeam({ id: w.id, name: w.name, domain: w.domain, botUserId: w.botUserId, botId: w.botId, enterpriseId: w.enterpriseId }));
  // Every workspace first: a channel may be shared with a workspace seeded after its own.
  spec.workspaces.forEach((w, i) => seedInto(state, teams[i]!, w));
  return teams;
}

export function seedWorkspace(state: SandboxState, w: WorkspaceSeed): Team {
  const team = state.addTeam({ id: w.id, name: w.name, domain: w.domain, botUserId: w.botUserId, botId: w.botId, enterpriseId: w.enterpriseId });
  seedInto(state, team, w);
  return team;
}

/** Adds users, then groups, then channels to an existing workspace. */
export function seedInto(state: SandboxState, team: Team, w: Pick<WorkspaceSeed, 'users' | 'groups' | 'channels'>): void {
  for (const u of w.users ?? []) state.addUser(team.id, u);
  for (const g of w.groups ?? []) state.addGroup(team.id, g);
  for (const c of w.channels ?? []) {
    state.addChannel(team.id, { ...c, members: (c.members ?? []).map((m) => (m === 'bot' ? team.botUserId : m)) });
  }
}
