/**
 * Scans every workflow the test run produced — event histories (inputs,
 * results, signals, activity arguments and results, failures), memos and
 * search attributes — for Slack tokens, GitHub tokens and private keys,
 * click response URLs in plain text and the secrets the tests used.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';

const TOKEN_PATTERN = /xox[abprs]-[A-Za-z0-9-]{8,}/;
/** A GitHub installation (or user, OAuth, refresh) token, or a private key in PEM: never in a history. */
const GITHUB_SECRET_PATTERN = /\bgh[suopr]_[A-Za-z0-9]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** A click's response_url (Slack's, or the sandbox's `/actions/<team>/<id>/<secret>`): a capability, never in a history. */
const RESPONSE_URL_PATTERN = /https?:\/\/[^\s"'\\]*\/actions\/T[A-Z0-9]+\/\d+\/[0-9A-Za-z]+/;

export interface ScanReport {
  workflows: number;
  findings: Array<{ workflowId: string; what: string }>;
}

export async function scanForSecrets(address: string, runDir: string): Promise<ScanReport> {
  const secretsFile = path.join(runDir, 'secrets.txt');
  const secrets = existsSync(secretsFile) ? [...new Set(readFileSync(secretsFile, 'utf8').split('\n').filter((s) => s.length >= 12))] : [];
  const connection = await Connection.connect({ address });
  const report: ScanReport = { workflows: 0, findings: [] };
  try {
    // Every namespace: the shared one, and those test files made for themselves (isolatedNamespace).
    const { namespaces } = await connection.workflowService.listNamespaces({ pageSize: 1000 });
    const names = (namespaces ?? []).map((n) => n.namespaceInfo?.name).filter((n): n is string => !!n && n !== 'temporal-system');
    for (const namespace of names) await scanNamespace(new Client({ connection, namespace }), secrets, report);
  } finally {
    await connection.close();
  }
  return report;
}

async function scanNamespace(client: Client, secrets: string[], report: ScanReport): Promise<void> {
  for await (const wf of client.workflow.list()) {
    report.workflows += 1;
    const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
    const history = JSON.stringify(await handle.fetchHistory());
    const described = JSON.stringify({ memo: wf.memo, searchAttributes: wf.searchAttributes });
    for (const [where, text] of [['history', history], ['memo/search attributes', described]] as const) {
      // Payloads are base64 in the history JSON: decode every data field too.
      const decoded = [...text.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8')).join('\n');
      const haystack = `${text}\n${decoded}`;
      const token = TOKEN_PATTERN.exec(haystack);
      if (token) report.findings.push({ workflowId: wf.workflowId, what: `a Slack token (${token[0].slice(0, 9)}…) in its ${where}` });
      const github = GITHUB_SECRET_PATTERN.exec(haystack);
      if (github) report.findings.push({ workflowId: wf.workflowId, what: `a GitHub token or private key (${github[0].slice(0, 6)}…) in its ${where}` });
      const responseUrl = RESPONSE_URL_PATTERN.exec(haystack);
      if (responseUrl) report.findings.push({ workflowId: wf.workflowId, what: `a response_url in plain text (${responseUrl[0].slice(0, 30)}…) in its ${where}` });
      for (const secret of secrets) if (haystack.includes(secret)) report.findings.push({ workflowId: wf.workflowId, what: `a test secret (${secret.slice(0, 6)}…) in its ${where}` });
    }
  }
}
