// The Signalroom approval Action (action.yml; README, "Pipelines"): asks for
// an approval through the HTTP API, long-polls /wait until it is decided,
// sets the step's outputs, writes the job summary, and fails the step unless
// the job may go on. Plain CommonJS on Node's own fetch: no build step, no
// dependencies, so the repository itself is the Action.
/* global fetch, AbortSignal, setTimeout */
'use strict';

const fs = require('node:fs');
const crypto = require('node:crypto');

/** An input as the runner passes it: INPUT_<NAME>, upper-cased, spaces as underscores (hyphens stay). */
function input(name, { required = false } = {}) {
  const upper = name.toUpperCase();
  const value = (process.env[`INPUT_${upper.replace(/ /g, '_')}`] ?? process.env[`INPUT_${upper.replace(/-/g, '_')}`] ?? '').trim();
  if (required && !value) throw new UsageError(`Input required and not supplied: ${name}`);
  return value;
}

class UsageError extends Error {}

/** The request body of POST /api/v1/approvals, from the inputs. */
function requestBody() {
  const approverGroups = input('approvers', { required: true }).split(/[,\s]+/).filter(Boolean);
  const min = Number(input('min-approvals') || '1');
  if (!Number.isInteger(min) || min < 1) throw new UsageError(`min-approvals must be a positive whole number, got "${input('min-approvals')}"`);
  const channel = input('channel');
  const webhook = input('webhook');
  if (!channel === !webhook) throw new UsageError('give exactly one of the inputs channel and webhook');
  const fields = input('inputs')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((spec) => {
      const m = /^([^=!]+)(!?)=(.+)$/.exec(spec);
      if (!m) throw new UsageError(`inputs: each line is name=Label or name!=Label (required), got "${spec}"`);
      return { name: m[1].trim(), label: m[3].trim(), required: m[2] === '!' };
    });
  const optional = { summary: input('summary'), link: input('link'), requestedBy: input('requested-by'), callback: input('callback'), channel, webhook };
  return {
    pipeline: input('pipeline', { required: true }),
    stage: input('stage', { required: true }),
    execution: input('execution', { required: true }),
    approverGroups,
    minApprovals: min,
    timeout: input('timeout') || '1h',
    onTimeout: input('on-timeout') === 'approve' ? 'approve' : 'reject',
    rejectionNeedsReason: input('require-reason') === 'true',
    ...(fields.length ? { inputs: fields } : {}),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v)),
  };
}

/** One API call; a network failure or a 5xx is retried a few times, anything else is the answer. */
async function call(api, token, method, path, body) {
  for (let attempt = 1; ; attempt++) {
    let res;
    try {
      res = await fetch(`${api}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(90_000),
      });
    } catch (err) {
      if (attempt >= 5) throw new Error(`cannot reach the Signalroom API at ${api}: ${err.cause?.code ?? err.message}`);
      await sleep(attempt * 2000);
      continue;
    }
    const text = await res.text();
    let json = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { message: text.slice(0, 500) };
    }
    if (res.status >= 500 && attempt < 5) {
      await sleep(attempt * 2000);
      continue;
    }
    return { status: res.status, body: json };
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A step output, in the runner's file format (a heredoc with a delimiter the value cannot hold). */
function setOutput(name, value) {
  const file = process.env.GITHUB_OUTPUT;
  const text = String(value);
  if (!file) {
    process.stdout.write(`${name}=${text}\n`);
    return;
  }
  const delimiter = `ghadelimiter_${crypto.randomUUID()}`;
  fs.appendFileSync(file, `${name}<<${delimiter}\n${text}\n${delimiter}\n`);
}

/** Text from outside as Markdown table text: no markup, no HTML, no line breaks. */
function md(text) {
  return String(text ?? '')
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_{}[\]()#+!|<>&~]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function summary(body, approval) {
  const lines = [
    `### Signalroom approval: ${md(approval.status)}`,
    '',
    `**${md(body.pipeline)} › ${md(body.stage)}** (${md(body.execution)})${body.summary ? `: ${md(body.summary)}` : ''}`,
    '',
  ];
  if (approval.message?.permalink && /^https?:\/\//i.test(approval.message.permalink)) lines.push(`[The card in Slack](${encodeURI(approval.message.permalink)})`, '');
  const decisions = approval.decisions ?? [];
  if (decisions.length) {
    lines.push('| decision | by | via | at | reason |', '| --- | --- | --- | --- | --- |');
    for (const d of decisions) lines.push(`| ${md(d.verb)} | ${md(d.user?.name ?? d.user?.id)} | ${md(d.via)} | ${md(d.at)} | ${md(d.reason)} |`);
    lines.push('');
  }
  const inputs = Object.entries(approval.inputs ?? {});
  if (inputs.length) {
    lines.push('| input | value |', '| --- | --- |', ...inputs.map(([k, v]) => `| ${md(k)} | ${md(v)} |`), '');
  }
  if (approval.outcomeNote) lines.push(`> ${md(approval.outcomeNote)}`, '');
  if (approval.reason) lines.push(`> ${md(approval.reason)}`, '');
  for (const p of approval.problems ?? []) lines.push(`- Problem (the outcome stands): ${md(p)}`);
  return `${lines.join('\n')}\n`;
}

async function main() {
  const api = input('api-url', { required: true }).replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  const token = input('token', { required: true });
  const body = requestBody();

  const created = await call(api, token, 'POST', '/approvals', body);
  if (created.status !== 200 && created.status !== 201) {
    throw new Error(`the approval request was refused (HTTP ${created.status}): ${created.body.message ?? JSON.stringify(created.body)}`);
  }
  const id = created.body.id;
  setOutput('id', id);
  console.log(created.status === 201 ? `Approval requested: ${id}` : `Approval requested: ${id} (already running with the same request: joined it)`);

  let approval;
  let linked = false;
  for (;;) {
    const res = await call(api, token, 'GET', `/approvals/${encodeURIComponent(id)}/wait?timeout=50s`);
    if (res.status !== 200 && res.status !== 202) throw new Error(`waiting for ${id} failed (HTTP ${res.status}): ${res.body.message ?? JSON.stringify(res.body)}`);
    approval = res.body;
    if (!linked && approval.message?.permalink) {
      linked = true;
      console.log(`In Slack: ${approval.message.permalink}`);
    }
    if (res.status === 200) break;
    console.log(`Waiting: ${approval.approvals} of ${approval.needed} approvals; expires ${approval.expiresAt}`);
  }

  const decisions = approval.decisions ?? [];
  for (const d of decisions) console.log(`${d.verb === 'approve' ? 'Approved' : 'Rejected'} by ${d.user?.name ?? d.user?.id} via ${d.via}${d.reason ? `: ${d.reason}` : ''}`);
  const proceed = approval.proceed === true;
  setOutput('status', approval.status);
  setOutput('proceed', proceed);
  setOutput('approvers', decisions.filter((d) => d.verb === 'approve').map((d) => d.user.id).join(','));
  setOutput('decisions', JSON.stringify(decisions));
  setOutput('inputs', JSON.stringify(approval.inputs ?? {}));
  setOutput('permalink', approval.message?.permalink ?? '');
  if (process.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, summary(body, approval));
  console.log(`Outcome: ${approval.status}`);
  if (!proceed) {
    process.stdout.write(`::error title=Not approved::${approval.status === 'failed' ? `The approval failed: ${approval.reason ?? 'no reason given'}` : `The approval was ${approval.status}`}\n`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stdout.write(`::error title=Signalroom approval::${String(err.message).replace(/\r?\n/g, ' ')}\n`);
  process.exitCode = 1;
});
