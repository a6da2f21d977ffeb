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
}

export interface WorkspaceSeed {
  id?: string;
  name: string;
  domain?: string;
  /** Fixed ids for the app's bot user and bot in this workspace. */
  botUserId?: string;
  botId?: string;
  users?: UserSeed[];
  groups?: GroupSeed[];
  channels?: ChannelSeed[];
}

export interface SeedSpec {
  workspaces: WorkspaceSeed[];
}

export const DEFAULT_TEAM_ID = 'T0SANDBOX';

/** The demo workspace: five people, three groups, #general, #deploys and #incidents (the bot is in the last two). */
export const DEMO_SEED: SeedSpec = {
  workspaces: [
    {
      id: DEFAULT_TEAM_ID,
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
        { id: 'C0DEPLOYS', name: 'deploys', members: ['alice', 'carol', 'dave', 'bot'], purpose: 'Deployment approvals' },
        { id: 'C0INCIDENTS', name: 'incidents', members: ['alice', 'bob', 'carol', 'bot'], purpose: 'Incident coordination' },
      ],
    },
  ],
};

/** Adds every workspace of `spec`; returns the teams created. */
export function applySeed(state: SandboxState, spec: SeedSpec): Team[] {
  return spec.workspaces.map((w) => seedWorkspace(state, w));
}

export function seedWorkspace(state: SandboxState, w: WorkspaceSeed): Team {
  const team = state.addTeam({ id: w.id, name: w.name, domain: w.domain, botUserId: w.botUserId, botId: w.botId });
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
