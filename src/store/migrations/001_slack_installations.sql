-- OAuth installations of the organization-level Slack app ("Connect Slack").
CREATE TABLE IF NOT EXISTS slack_installations (
  install_key        text PRIMARY KEY,          -- 'E:<enterprise>' for org-wide installs, else 'T:<team>'
  team_id            text,
  enterprise_id      text,
  is_enterprise_install boolean NOT NULL DEFAULT false,
  bot_user_id        text,
  scopes             text[] NOT NULL DEFAULT '{}',
  installation       jsonb NOT NULL,
  installed_at       timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS slack_installations_team ON slack_installations (team_id);
