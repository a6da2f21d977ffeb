// The sandbox page: polls the sandbox for changes, renders channels and
// messages from Block Kit, sends clicks and modal submissions as the person
// picked in "You are". Plain browser JS, no build step.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  let userId = params.get('user') || localStorage.getItem('sandbox-user') || '';
  let channelId = decodeURIComponent(location.hash.slice(1)) || '';
  let version = -1;
  let data = null;
  let shownViewId = null;

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  };

  // Emoji shortcodes as Slack renders them, from the sandbox's emoji data (loaded once).
  let emoji = {};
  api('/_sandbox/emoji').then((table) => {
    emoji = table;
    refresh(true);
  }, () => undefined);
  const withEmoji = (s) => s.replace(/:([a-z0-9_+'-]+):(?::skin-tone-[2-6]:)?/g, (whole, name) => emoji[name] || whole);
  function channelName(id) {
    const c = data && data.channels.find((ch) => ch.id === id);
    return c ? c.name : id;
  }

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  function personName(id) {
    const p = data && data.people.find((u) => u.id === id);
    return p ? p.name : id;
  }
  // Slack's <!date^epoch^format|fallback>, in the viewer's time zone as Slack shows it.
  const pad = (n) => String(n).padStart(2, '0');
  function slackDateText(epoch, format) {
    const d = new Date(epoch * 1000);
    const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
    const days = Math.round((day(d) - day(new Date())) / 86400000);
    const short = d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric' });
    const long = d.toLocaleDateString('en-US', { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });
    const plain = d.toLocaleDateString('en-US', { month: 'long', day: 'numeric', year: 'numeric' });
    const pretty = (fallback) => (days === 0 ? 'today' : days === 1 ? 'tomorrow' : days === -1 ? 'yesterday' : fallback);
    const tokens = {
      date_num: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
      date: plain,
      date_short: short,
      date_long: long,
      date_pretty: pretty(plain),
      date_short_pretty: pretty(short),
      date_long_pretty: pretty(long),
      time: `${pad(d.getHours())}:${pad(d.getMinutes())}`,
      time_secs: `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
    };
    return format.replace(/\{(\w+)\}/g, (whole, name) => tokens[name] ?? whole);
  }

  // Enough of Slack's mrkdwn for the demo: links, mentions, dates, bold, italics, code, strike, newlines.
  function mrkdwn(text) {
    // Dates first, on the raw text (a fallback may hold characters esc() would change): <!date^epoch^format[^link][|fallback]>.
    const dates = [];
    let s = String(text).replace(/<!date\^(\d+)\^([^^|>]*)(?:\^[^|>]*)?(?:\|[^>]*)?>/g, (_, epoch, format) => {
      dates.push(`<time datetime="${new Date(Number(epoch) * 1000).toISOString()}">${esc(slackDateText(Number(epoch), format))}</time>`);
      return `\u0000${dates.length - 1}\u0000`;
    });
    s = esc(s);
    s = s.replace(/&lt;@([UW][A-Z0-9]+)(\|[^&]*)?&gt;/g, (_, id) => `<span class="mention">@${esc(personName(id))}</span>`);
    s = s.replace(/&lt;!subteam\^[A-Z0-9]+(?:\|([^&]*))?&gt;/g, (_, h) => `<span class="mention">${h ? h : '@group'}</span>`);
    s = s.replace(/&lt;#([CG][A-Z0-9]+)(?:\|([^&]*))?&gt;/g, (_, id, n) => `<span class="mention">#${n || esc(channelName(id))}</span>`);
    s = s.replace(/&lt;!(here|channel|everyone)&gt;/g, '<span class="mention">@$1</span>');
    s = s.replace(/&lt;(https?:\/\/[^|&]+)\|([^&]+)&gt;/g, '<a href="$1" target="_blank" rel="noopener">$2</a>');
    s = s.replace(/&lt;(https?:\/\/[^&]+)&gt;/g, '<a href="$1" target="_blank" rel="noopener">$1</a>');
    s = withEmoji(s);
    s = s.replace(/```([\s\S]+?)```/g, '<pre>$1</pre>');
    s = s.replace(/`([^`]+)`/g, '<code>$1</code>');
    s = s.replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<strong>$2</strong>');
    s = s.replace(/(^|[\s(])_([^_\n]+)_/g, '$1<em>$2</em>');
    s = s.replace(/(^|[\s(])~([^~\n]+)~/g, '$1<del>$2</del>');
    // Text the app escaped (&lt;!channel&gt;) is shown as the characters it stands for, never as markup.
    s = s.replace(/&amp;(lt|gt|amp);/g, '&$1;');
    return s.replace(/\n/g, '<br>').replace(/\u0000(\d+)\u0000/g, (_, i) => dates[Number(i)]);
  }
  function textNode(t) {
    const span = el('span', { class: 'text' });
    if (!t) return span;
    if (t.type === 'mrkdwn') span.innerHTML = mrkdwn(t.text);
    else span.textContent = t.emoji === false ? t.text : withEmoji(t.text);
    return span;
  }

  async function api(path, body) {
    // The sandbox answers its page's routes only with this header (a foreign page cannot send it).
    const headers = { 'x-signalroom-sandbox': '1' };
    const res = await fetch(path, body ? { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) } : { headers });
    return res.json();
  }

  function elementNode(e, message) {
    if (!e) return null;
    if (e.type === 'button') {
      const b = el('button', { class: `sl-button ${e.style || ''}`, type: 'button', 'data-action-id': e.action_id, 'data-value': e.value }, e.text ? e.text.text : 'Button');
      b.addEventListener('click', () => click(message, e.action_id, e.value, b));
      if (e.url) b.title = e.url;
      return b;
    }
    if (e.type === 'image') return el('a', { href: e.image_url, target: '_blank', rel: 'noopener' }, `Image: ${e.alt_text || e.image_url}`);
    if (e.type === 'static_select' || e.type === 'overflow') {
      const s = el('select', { 'data-action-id': e.action_id }, el('option', { value: '' }, e.placeholder ? e.placeholder.text : 'Choose…'), (e.options || []).map((o) => el('option', { value: o.value }, o.text.text)));
      s.addEventListener('change', () => s.value && click(message, e.action_id, s.value, s));
      return s;
    }
    return el('span', { class: 'unsupported' }, `[${e.type}]`);
  }

  function blockNode(b, message) {
    switch (b.type) {
      case 'header':
        return el('div', { class: 'block-header' }, b.text ? b.text.text : '');
      case 'section': {
        const body = el('div', { class: 'section-body' }, textNode(b.text));
        if (b.fields) body.append(el('div', { class: 'fields' }, b.fields.map(textNode)));
        return el('div', { class: 'block-section' }, body, b.accessory ? elementNode(b.accessory, message) : null);
      }
      case 'context':
        return el('div', { class: 'block-context' }, (b.elements || []).map((e) => (e.type === 'image' ? el('a', { href: e.image_url, target: '_blank' }, `Image: ${e.alt_text}`) : textNode(e))));
      case 'divider':
        return el('hr', { class: 'block-divider' });
      case 'actions':
        return el('div', { class: 'block-actions' }, (b.elements || []).map((e) => elementNode(e, message)));
      case 'image':
        return el('div', { class: 'block-image' }, el('a', { href: b.image_url, target: '_blank', rel: 'noopener' }, `Image: ${b.title ? b.title.text : b.alt_text}`));
      case 'markdown':
        return el('div', { class: 'block-markdown' }, b.text);
      case 'rich_text':
        return el('div', { class: 'block-rich-text' }, JSON.stringify(b.elements).replace(/"text":"([^"]*)"|./g, (_, t) => t || ''));
      default:
        return el('div', { class: 'unsupported' }, `[${b.type} block]`);
    }
  }

  function messageNode(m, channel) {
    const when = new Date(Number(m.ts) * 1000).toLocaleTimeString();
    // Slack's own lines (joined, purpose or topic set, archived): one grey line, no author block.
    if (m.subtype) {
      const line = el('div', { class: 'message system', 'data-ts': m.ts, 'data-subtype': m.subtype }, el('span', { class: 'meta' }, `${when} `));
      line.append(textNode({ type: 'mrkdwn', text: m.text }));
      return line;
    }
    const node = el(
      'div',
      { class: `message${m.ephemeral ? ' ephemeral' : ''}`, 'data-ts': m.ts },
      el('div', { class: 'meta' }, el('strong', {}, m.author), m.isBot ? el('span', { class: 'app-badge' }, 'APP') : null, ` ${when}`, m.edited ? ' (edited)' : '', m.ephemeral ? ' · Only visible to you' : '', channel.pins.includes(m.ts) ? ' · 📌 pinned' : ''),
    );
    const message = { channelId: channel.id, ts: m.ts };
    if (m.blocks && m.blocks.length) node.append(el('div', { class: 'blocks' }, m.blocks.map((b) => blockNode(b, message))));
    else if (m.text) node.append(el('div', { class: 'text' }, textNode({ type: 'mrkdwn', text: m.text })));
    if (m.files && m.files.length) node.append(el('div', { class: 'files' }, m.files.map((f) => el('div', { class: 'file' }, `📎 ${f.title} (${f.name}, ${f.size} bytes)`))));
    if (m.reactions && m.reactions.length) node.append(el('div', { class: 'reactions' }, m.reactions.map((r) => el('span', {}, `:${r.name}: ${r.users.length}`))));
    if (m.replies && m.replies.length) node.append(el('div', { class: 'replies' }, el('div', { class: 'meta' }, `${m.replies.length} ${m.replies.length === 1 ? 'reply' : 'replies'}`), m.replies.map((r) => messageNode(r, channel))));
    return node;
  }

  async function click(message, actionId, value, control) {
    control.disabled = true;
    $('status').textContent = 'Sending to the app…';
    const r = await api('/_sandbox/click', { userId, channelId: message.channelId, messageTs: message.ts, actionId, value });
    $('status').textContent = r.ok ? (r.error ? `The app did not answer (${r.error})` : `The app answered ${r.status} in ${r.durationMs} ms`) : r.error;
    control.disabled = false;
    refresh(true);
  }

  function renderSidebar() {
    const teamName = (id) => data.teams.find((t) => t.id === id)?.name || id;
    $('team-name').textContent = (data.viewer && teamName(data.viewer.teamId)) || 'Slack sandbox';
    $('team-name').title = data.enterprise ? `Enterprise Grid: ${data.enterprise.name} (${data.enterprise.id})` : '';
    const select = $('user-select');
    // People of several workspaces (an Enterprise Grid organization): each says which is theirs.
    const several = new Set(data.people.map((p) => p.teamId)).size > 1;
    select.replaceChildren(...data.people.map((p) => el('option', { value: p.id, selected: data.viewer && p.id === data.viewer.id }, `${p.realName} (@${p.name})${several ? ` · ${teamName(p.teamId)}` : ''}`)));
    const list = $('channel-list');
    list.replaceChildren(
      ...data.channels.map((c) =>
        el('li', {}, el('button', { type: 'button', class: `${c.id === channelId ? 'active' : ''} ${c.archived ? 'archived' : ''}`, 'data-channel': c.name, onclick: () => selectChannel(c.id) }, c.isIm ? c.name : `${c.isPrivate ? '🔒' : '#'} ${c.name}`)),
      ),
    );
    $('request-url').textContent = data.requestUrl ? `Request URL: ${data.requestUrl}` : 'No Request URL configured: clicks reach no app.';
  }

  function renderChannel() {
    const channel = data.channels.find((c) => c.id === channelId) || data.channels[0];
    if (!channel) return;
    channelId = channel.id;
    $('channel-title').textContent = channel.isIm ? channel.name : `${channel.isPrivate ? '🔒' : '#'}${channel.name}${channel.archived ? ' (archived)' : ''}`;
    $('channel-topic').textContent = [channel.topic, channel.purpose, channel.bookmarks.map((b) => `🔖 ${b.title}`).join(' ')].filter(Boolean).join(' · ');
    const items = [...channel.messages, ...channel.ephemerals].sort((a, b) => Number(a.ts) - Number(b.ts));
    const box = $('messages');
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    // A channel canvas shows above the messages, as Slack shows it in the channel's tab.
    const canvases = (channel.canvases || []).map((c) => el('details', { class: 'canvas', 'data-canvas': c.id }, el('summary', {}, `📝 Canvas: ${c.title || 'Untitled'}`), el('pre', {}, c.markdown)));
    box.replaceChildren(...canvases, ...items.map((m) => messageNode(m, channel)));
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  function inputNode(b) {
    const e = b.element || {};
    const id = `in-${b.block_id}`;
    let control;
    if (e.type === 'static_select') control = el('select', { id, name: b.block_id }, el('option', { value: '' }, 'Choose…'), (e.options || []).map((o) => el('option', { value: o.value }, o.text.text)));
    else if (e.type === 'plain_text_input' && e.multiline) control = el('textarea', { id, name: b.block_id, rows: 3 });
    else control = el('input', { id, name: b.block_id, type: 'text', placeholder: e.placeholder ? e.placeholder.text : '' });
    if (e.initial_value) control.value = e.initial_value;
    return el('div', { class: 'input-block' }, el('label', { for: id }, b.label ? b.label.text : b.block_id, b.optional ? ' (optional)' : ''), control, el('div', { class: 'input-error', 'data-error-for': b.block_id }));
  }

  function renderModal() {
    const v = data.view;
    const backdrop = $('modal-backdrop');
    if (!v) {
      backdrop.hidden = true;
      shownViewId = null;
      return;
    }
    backdrop.hidden = false;
    if (shownViewId === `${v.id}:${JSON.stringify(v.blocks).length}`) return;
    shownViewId = `${v.id}:${JSON.stringify(v.blocks).length}`;
    $('modal-title').textContent = v.title ? v.title.text : '';
    $('modal-submit').textContent = v.submit ? v.submit.text : 'Submit';
    $('modal-submit').hidden = !v.submit;
    $('modal-close').textContent = v.close ? v.close.text : 'Cancel';
    $('modal-errors').textContent = '';
    $('modal-blocks').replaceChildren(...v.blocks.map((b) => (b.type === 'input' ? inputNode(b) : blockNode(b, { channelId, ts: '' }))));
  }

  async function refresh(force) {
    try {
      const v = await api('/_sandbox/version');
      if (!force && v.version === version) return;
      const asked = userId;
      const next = await api(`/_sandbox/state?user=${encodeURIComponent(asked)}`);
      // "You are" changed while this was on its way: it describes the previous person, and the newer refresh will follow.
      if (asked !== userId) return;
      data = next;
      version = data.version;
      if (data.viewer) userId = data.viewer.id;
      renderSidebar();
      renderChannel();
      renderModal();
    } catch (err) {
      $('status').textContent = `The sandbox is not answering: ${err.message}`;
    }
  }

  function selectChannel(id) {
    channelId = id;
    location.hash = id;
    renderSidebar();
    renderChannel();
  }

  $('user-select').addEventListener('change', (e) => {
    userId = e.target.value;
    localStorage.setItem('sandbox-user', userId);
    refresh(true);
  });
  $('composer').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('composer-text').value.trim();
    if (!text) return;
    const r = await api('/_sandbox/post', { userId, channelId, text });
    if (!r.ok) $('status').textContent = r.error;
    else if (r.command) $('status').textContent = r.command.error ? `The command reached no app (${r.command.error})` : `The app answered ${r.command.status} in ${r.command.durationMs} ms`;
    $('composer-text').value = '';
    refresh(true);
  });
  $('modal-close').addEventListener('click', async () => {
    await api('/_sandbox/close-view', { userId });
    refresh(true);
  });
  $('modal').addEventListener('submit', async (e) => {
    e.preventDefault();
    const values = {};
    for (const c of $('modal-blocks').querySelectorAll('input[name], textarea[name], select[name]')) values[c.name] = c.value;
    const r = await api('/_sandbox/submit', { userId, values });
    document.querySelectorAll('.input-error').forEach((n) => (n.textContent = ''));
    if (!r.ok || r.error) $('modal-errors').textContent = r.error;
    else if (!r.sent) r.missing.forEach((id) => (document.querySelector(`[data-error-for="${id}"]`).textContent = 'Please fill out this field.'));
    else if (r.responseAction === 'errors') Object.entries(r.errors).forEach(([id, msg]) => { const n = document.querySelector(`[data-error-for="${id}"]`); if (n) n.textContent = msg; });
    else if (r.status !== 200) $('modal-errors').textContent = `We had some trouble connecting (the app answered ${r.status ?? 'nothing'}).`;
    shownViewId = r.responseAction === 'errors' || r.error ? shownViewId : null;
    refresh(true);
  });
  window.addEventListener('hashchange', () => {
    const id = decodeURIComponent(location.hash.slice(1));
    if (id && id !== channelId) selectChannel(id);
  });

  refresh(true);
  setInterval(refresh, 500);
})();
