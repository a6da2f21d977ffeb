/**
 * Names in the configuration that refer to other parts of it: a responder
 * group is an approver group, a project's connector and an approver group's
 * `connector:<name>` integration are connectors. A name that refers to
 * nothing configured would only fail later, on a click or a request; it is
 * refused when the file loads, where it is written. So are a GitHub gate's
 * approver groups, project and connector.
 */
import { didYouMean } from '../../core/did-you-mean';
import type { SignalroomConfig } from './schema';

export interface ReferenceProblem {
  path: Array<string | number>;
  message: string;
}

export function referenceProblems(config: SignalroomConfig): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const groups = Object.keys(config.approverGroups);
  const connectors = Object.keys(config.slack.connectors);
  const group = (name: string, path: Array<string | number>) => {
    if (!Object.hasOwn(config.approverGroups, name)) problems.push({ path, message: `no approver group "${name}" is configured under approverGroups${didYouMean(name, groups)}` });
  };
  const connector = (name: string, path: Array<string | number>) => {
    if (!Object.hasOwn(config.slack.connectors, name)) problems.push({ path, message: `no connector "${name}" is configured under slack.connectors${didYouMean(name, connectors)}` });
  };
  const integration = (name: string, path: Array<string | number>) => {
    if (name.startsWith('connector:')) connector(name.slice('connector:'.length), path);
  };

  for (const [name, g] of Object.entries(config.approverGroups)) g.integrations.forEach((i, n) => integration(i, ['approverGroups', name, 'integrations', n]));
  for (const [name, hook] of Object.entries(config.slack.webhooks)) if (typeof hook === 'object') integration(hook.integration, ['slack', 'webhooks', name, 'integration']);
  config.incidents.responderGroups.forEach((g, n) => group(g, ['incidents', 'responderGroups', n]));
  for (const [name, p] of Object.entries(config.projects)) {
    if (p.connector !== undefined) connector(p.connector, ['projects', name, 'connector']);
    p.connectors?.forEach((c, n) => connector(c, ['projects', name, 'connectors', n]));
  }
  for (const [appName, app] of Object.entries(config.github.apps)) {
    for (const [repo, environments] of Object.entries(app.repositories)) {
      for (const [env, policy] of Object.entries(environments)) {
        const at = ['github', 'apps', appName, 'repositories', repo, env];
        policy.approverGroups.forEach((g, n) => group(g, [...at, 'approverGroups', n]));
        if (policy.connector !== undefined) connector(policy.connector, [...at, 'connector']);
        if (policy.project !== undefined && !Object.hasOwn(config.projects, policy.project)) problems.push({ path: [...at, 'project'], message: `no project "${policy.project}" is configured under projects${didYouMean(policy.project, Object.keys(config.projects))}` });
        // What a timeout means is policy of the groups, never of the gate alone (SECURITY.md).
        const strict = policy.approverGroups.filter((g) => Object.hasOwn(config.approverGroups, g) && !config.approverGroups[g].allowApproveOnTimeout);
        if (policy.onTimeout === 'approve' && strict.length) problems.push({ path: [...at, 'onTimeout'], message: `onTimeout: approve needs allowApproveOnTimeout on every approver group; ${strict.join(', ')} does not allow it` });
      }
    }
  }
  return problems;
}
