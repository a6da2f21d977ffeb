/**
 * The stand-in's page: a form that fires a `deployment_protection_rule`
 * delivery (a job targets a protected environment), the runs waiting and the
 * reviews received; and each run's own page, which the run links in a
 * delivery point at. Plain HTML and a little JS, no build step. The page's
 * JSON routes (`/_standin/*`) fire deliveries as any App, so they answer only
 * the page itself, by the same rules as the Slack sandbox's page.
 */
import type { FastifyInstance } from 'fastify';
import { escapeHtml } from '../sandbox/html';
import { pageRequestRefusal, SANDBOX_PAGE_HEADER } from '../sandbox/page/routes';
import type { DeliveryRecord } from './deliveries';
import type { DeploymentReviewRequest, RequestedReview } from './index';
import type { StandInState, WorkflowRun } from './state';

interface PageDeps {
  state: StandInState;
  standIn: { requestDeploymentReview(r: DeploymentReviewRequest): Promise<RequestedReview>; redeliver(id: string): Promise<DeliveryRecord>; finishRun(id: number, conclusion?: 'success' | 'failure' | 'cancelled'): void };
  deliveries: () => DeliveryRecord[];
}

function runJson(r: WorkflowRun) {
  return { id: r.id, repository: r.repository, environment: r.environment, sender: r.sender.login, sha: r.sha, status: r.status, conclusion: r.conclusion ?? null, gate: r.gate, htmlUrl: r.htmlUrl };
}

export function registerStandInPage(app: FastifyInstance, deps: PageDeps): void {
  const { state } = deps;

  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/_standin/')) return;
    const refusal = pageRequestRefusal(req.headers, req.method);
    if (refusal) return reply.code(403).send({ ok: false, error: refusal });
  });

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PAGE));

  app.get('/_standin/state', async () => ({
    version: state.version,
    apps: [...state.apps.values()].map((a) => ({
      id: a.id,
      slug: a.slug,
      webhookUrl: a.webhookUrl ?? null,
      installations: [...a.installations.values()].map((i) => ({ id: i.id, account: i.account.login, repositories: i.repositories.map((r) => r.fullName) })),
    })),
    runs: [...state.runs.values()].reverse().map(runJson),
    reviews: [...state.reviews].reverse().map((r) => ({ runId: r.runId, repository: r.repository, environment: r.environmentName ?? null, state: r.state ?? null, comment: r.comment ?? null, status: r.status, at: new Date(r.at).toISOString() })),
    deliveries: [...deps.deliveries()].reverse().map((d) => ({ id: d.id, event: d.event, action: d.action, redelivery: d.redelivery, status: d.response.status ?? null, error: d.response.error ?? null, durationMs: Math.round(d.response.durationMs) })),
  }));

  app.post('/_standin/deployment-review', async (req, reply) => {
    const b = req.body as { repo?: string; environment?: string; sender?: string; sha?: string };
    try {
      const r = await deps.standIn.requestDeploymentReview({ repo: String(b.repo ?? ''), environment: String(b.environment ?? ''), sender: b.sender || undefined, sha: b.sha || undefined });
      return { ok: true, deliveryId: r.deliveryId, runId: r.runId, status: r.delivery.response.status ?? null, error: r.delivery.response.error ?? null };
    } catch (err) {
      return reply.code(400).send({ ok: false, error: (err as Error).message });
    }
  });

  app.post('/_standin/redeliver', async (req, reply) => {
    try {
      const d = await deps.standIn.redeliver(String((req.body as { deliveryId?: string }).deliveryId ?? ''));
      return { ok: true, status: d.response.status ?? null, error: d.response.error ?? null };
    } catch (err) {
      return reply.code(400).send({ ok: false, error: (err as Error).message });
    }
  });

  app.post('/_standin/finish-run', async (req, reply) => {
    try {
      deps.standIn.finishRun(Number((req.body as { runId?: number }).runId), 'cancelled');
      return { ok: true };
    } catch (err) {
      return reply.code(400).send({ ok: false, error: (err as Error).message });
    }
  });

  // The run's page on "GitHub": where a delivery's links to the run lead.
  app.get('/:owner/:repo/actions/runs/:runId', async (req, reply) => {
    const { owner, repo, runId } = req.params as { owner: string; repo: string; runId: string };
    const run = state.runs.get(Number(runId));
    if (!run || run.repository.toLowerCase() !== `${owner}/${repo}`.toLowerCase()) return reply.code(404).type('text/html; charset=utf-8').send('<!doctype html><title>Not Found</title><p>No such workflow run.</p>');
    const reviews = state.reviews.filter((r) => r.runId === run.id);
    const rows = reviews.map((r) => `<tr><td>${escapeHtml(new Date(r.at).toISOString())}</td><td>${escapeHtml(r.state ?? '(comment)')}</td><td>${escapeHtml(r.comment ?? '')}</td><td>${r.status}</td></tr>`).join('');
    return reply.type('text/html; charset=utf-8').send(`<!doctype html><html><head><meta charset="utf-8"><title>Run ${run.id} · ${escapeHtml(run.repository)}</title><style>${CSS}</style></head><body>
<h1>${escapeHtml(run.repository)} · run ${run.id}</h1>
<p>Environment <b>${escapeHtml(run.environment)}</b> · commit <code>${escapeHtml(run.sha.slice(0, 7))}</code> on <code>${escapeHtml(run.ref)}</code> · triggered by <b>${escapeHtml(run.sender.login)}</b></p>
<p>Status <b data-testid="run-status">${escapeHtml(run.status)}${run.conclusion ? ` (${escapeHtml(run.conclusion)})` : ''}</b> · deployment protection rule <b data-testid="run-gate">${escapeHtml(run.gate)}</b></p>
<h2>Reviews</h2><table><tr><th>at</th><th>state</th><th>comment</th><th>answer</th></tr>${rows || '<tr><td colspan="4">none yet</td></tr>'}</table>
<p><a href="/">All runs</a></p></body></html>`);
  });
}

const CSS = `body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}code{background:#f3f3f3;padding:0 .2em}form input,form select{margin-right:.5em}`;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>GitHub stand-in</title><style>${CSS}</style></head>
<body>
<h1>GitHub stand-in</h1>
<p>A job targets a protected environment: the App gets <code>deployment_protection_rule</code> (action <code>requested</code>) and the run waits for its review.</p>
<form id="fire">
  <label>Repository <select name="repo" id="repo"></select></label>
  <label>Environment <input name="environment" value="production" required></label>
  <label>Triggered by <input name="sender" value="octocat"></label>
  <label>Commit <input name="sha" placeholder="(random)" size="12"></label>
  <button type="submit">Request deployment review</button>
  <span id="result"></span>
</form>
<h2>Apps</h2><div id="apps"></div>
<h2>Runs</h2><table id="runs"></table>
<h2>Reviews received</h2><table id="reviews"></table>
<h2>Deliveries</h2><table id="deliveries"></table>
<script>
const H = { 'content-type': 'application/json', '${SANDBOX_PAGE_HEADER}': '1' };
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
let version = -1;
async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: H, body: JSON.stringify(body) });
  return res.json();
}
async function refresh() {
  const s = await (await fetch('/_standin/state', { headers: { '${SANDBOX_PAGE_HEADER}': '1' } })).json();
  if (s.version === version) return;
  version = s.version;
  const repos = s.apps.flatMap((a) => a.installations.flatMap((i) => i.repositories));
  const sel = document.getElementById('repo');
  if (sel.options.length !== repos.length) sel.innerHTML = repos.map((r) => '<option>' + esc(r) + '</option>').join('');
  document.getElementById('apps').innerHTML = s.apps.map((a) => '<p>App <b>' + esc(a.slug) + '</b> (' + a.id + ') → ' + esc(a.webhookUrl ?? 'no webhook URL') + '<br>' + a.installations.map((i) => 'installation ' + i.id + ' on ' + esc(i.account) + ': ' + i.repositories.map(esc).join(', ')).join('<br>') + '</p>').join('');
  document.getElementById('runs').innerHTML = '<tr><th>run</th><th>repository</th><th>environment</th><th>by</th><th>status</th><th>rule</th><th></th></tr>' + s.runs.map((r) =>
    '<tr><td><a href="' + esc(r.htmlUrl) + '">' + r.id + '</a></td><td>' + esc(r.repository) + '</td><td>' + esc(r.environment) + '</td><td>' + esc(r.sender) + '</td><td>' + esc(r.status) + (r.conclusion ? ' (' + esc(r.conclusion) + ')' : '') + '</td><td>' + esc(r.gate) + '</td><td>' +
    (r.status === 'completed' ? '' : '<button data-cancel="' + r.id + '">Cancel run</button>') + '</td></tr>').join('');
  document.getElementById('reviews').innerHTML = '<tr><th>at</th><th>run</th><th>environment</th><th>state</th><th>comment</th><th>answer</th></tr>' + s.reviews.map((r) =>
    '<tr><td>' + esc(r.at) + '</td><td>' + r.runId + '</td><td>' + esc(r.environment) + '</td><td>' + esc(r.state ?? '') + '</td><td>' + esc(r.comment ?? '') + '</td><td>' + r.status + '</td></tr>').join('');
  document.getElementById('deliveries').innerHTML = '<tr><th>delivery</th><th>event</th><th>App answered</th><th></th></tr>' + s.deliveries.map((d) =>
    '<tr><td><code>' + esc(d.id) + '</code>' + (d.redelivery ? ' (redelivery)' : '') + '</td><td>' + esc(d.event) + '.' + esc(d.action) + '</td><td>' + esc(d.status ?? d.error) + ' in ' + d.durationMs + ' ms</td><td>' +
    (d.redelivery ? '' : '<button data-redeliver="' + esc(d.id) + '">Redeliver</button>') + '</td></tr>').join('');
}
document.getElementById('fire').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await post('/_standin/deployment-review', Object.fromEntries(f.entries()));
  document.getElementById('result').textContent = r.ok ? 'run ' + r.runId + ': the App answered ' + (r.status ?? r.error) : r.error;
  refresh();
});
document.body.addEventListener('click', async (e) => {
  const t = e.target;
  if (t.dataset.cancel) await post('/_standin/finish-run', { runId: Number(t.dataset.cancel) });
  if (t.dataset.redeliver) await post('/_standin/redeliver', { deliveryId: t.dataset.redeliver });
  refresh();
});
refresh();
setInterval(refresh, 1000);
</script>
</body></html>`;
