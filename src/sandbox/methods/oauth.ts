/** oauth.v2.access: a one-time code from Slack's authorize page exchanged for tokens. */
import { str, type MethodHandler } from '../method-context';

const oauthV2Access: MethodHandler = (ctx) =>
  ctx.services.oauth.redeem({
    clientId: str(ctx, 'client_id') ?? ctx.basicAuth?.user,
    clientSecret: str(ctx, 'client_secret') ?? ctx.basicAuth?.password,
    grantType: str(ctx, 'grant_type'),
    code: str(ctx, 'code'),
    redirectUri: str(ctx, 'redirect_uri'),
  });

export const oauthMethods: Record<string, MethodHandler> = { 'oauth.v2.access': oauthV2Access };
