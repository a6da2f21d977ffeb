/**
 * A Block Kit block as the builders here make it: a `type`, maybe a
 * `block_id`, and the block's own fields. It has the shape of Slack's own
 * `Block` (from @slack/types, which the core does not import), so the Slack
 * activities take the builders' blocks as they are, without a cast.
 */
export interface SlackBlock {
  type: string;
  block_id?: string;
  [field: string]: unknown;
}
