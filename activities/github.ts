/**
 * The `github` outcome deliverer (activities/outcomes.ts): answers a GitHub
 * deployment protection rule once its approval is decided
 * (src/github/review.ts), naming who decided as Slack shows them.
 */
import type { GitHubConfig } from '../src/config/schema';
import { githubOutcomeDeliverer } from '../src/github/review';
import { ORGANIZATION, type IntegrationRegistry } from '../src/slack/integrations';
import type { OutcomeDeliverer } from './outcomes';

export function githubDeliverer(github: GitHubConfig, integrations: IntegrationRegistry): OutcomeDeliverer<'github'> {
  return githubOutcomeDeliverer(() => github, {
    // A name for the comment; without one (Slack unreachable, no organization integration) the decision's own record names them.
    nameOf: async (id) => {
      const { client } = await integrations.get(ORGANIZATION);
      const { user } = await client.users.info({ user: id });
      return user?.real_name || user?.profile?.real_name || user?.profile?.display_name || user?.name || undefined;
    },
  });
}
