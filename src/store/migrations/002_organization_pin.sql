-- The workspace (or Enterprise Grid organization) the organization integration
-- belongs to: pinned by the first install, so a later install from another
-- workspace cannot take the integration over. One row at most.
CREATE TABLE IF NOT EXISTS slack_organization (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  install_key text NOT NULL,                   -- 'E:<enterprise>' or 'T:<team>', as slack_installations
  pinned_at   timestamptz NOT NULL DEFAULT now()
);
-- An existing deployment keeps the workspace it was first installed in.
INSERT INTO slack_organization (install_key)
  SELECT install_key FROM slack_installations ORDER BY installed_at ASC LIMIT 1
  ON CONFLICT DO NOTHING;

-- One-time "Connect Slack" links (`signalroom install-link`): only a hash is kept.
CREATE TABLE IF NOT EXISTS slack_install_links (
  token_hash text PRIMARY KEY,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
