// History: saved predictions newest first, paged, viewable and deletable; the export links download everything.
import { getJson, deletePrediction } from './api.js';
import { colour, labelText, percent, seconds, NO_SPEECH } from './labels.js';
import { showResult } from './result.js';

const $ = (id) => document.getElementById(id);
const TAKE = 10;

export function initHistory(page) {
  const body = $('history-table').tBodies[0];
  const status = $('history-status');
  let skip = 0;
  let total = 0;
  let loading = null;

  function row(p) {
    const tr = body.insertRow();
    tr.dataset.id = p.id;
    const when = document.createElement('time');
    when.dateTime = p.createdAt;
    when.textContent = new Date(p.createdAt).toLocaleString();
    tr.insertCell().appendChild(when);
    const source = tr.insertCell();
    source.className = 'file';
    const name = p.fileName || 'live session';
    source.textContent = name;
    if (p.speaker) {
      const who = document.createElement('span');
      who.className = 'speaker hint block';
      who.textContent = `speaker ${p.speaker}`;
      source.appendChild(who);
    }
    const emotion = tr.insertCell();
    emotion.className = 'emotion';
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colour(p.label);
    emotion.append(swatch, document.createTextNode(p.label === NO_SPEECH ? labelText(p.label) : `${p.label} ${percent(p.confidence)}`));
    tr.insertCell().textContent = seconds(p.durationSeconds);
    const actions = tr.insertCell();
    actions.className = 'actions';
    const view = document.createElement('button');
    view.type = 'button';
    view.className = 'small';
    view.textContent = 'View';
    view.setAttribute('aria-label', `View the result of ${name}, ${when.textContent}`);
    view.addEventListener('click', async () => {
      try {
        const full = await getJson(`/api/predictions/${p.id}`);
        showResult(full, { labels: page.labels(full.model), model: page.describe(full.model) });
        $('result').scrollIntoView({ behavior: 'smooth', block: 'start' });
      } catch (e) {
        page.showError(e.message);
      }
    });
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'small danger';
    del.textContent = 'Delete';
    del.setAttribute('aria-label', `Delete the result of ${name}, ${when.textContent}`);
    del.addEventListener('click', async () => {
      if (!confirm(`Delete the result of ${name} (${when.textContent})?`)) return;
      try {
        await deletePrediction(p.id);
        status.textContent = `Deleted the result of ${name}.`;
        await refresh();
        $('history-title').focus();
      } catch (e) {
        page.showError(e.message);
      }
    });
    actions.append(view, del);
  }

  async function load() {
    const data = await getJson(`/api/predictions?skip=${skip}&take=${TAKE}`);
    total = data.total;
    if (data.items.length === 0 && skip > 0) {
      skip = Math.max(0, skip - TAKE);
      return load();
    }
    body.replaceChildren();
    for (const p of data.items) row(p);
    if (data.items.length === 0) {
      const td = body.insertRow().insertCell();
      td.colSpan = 5;
      td.className = 'empty';
      td.textContent = 'No saved results yet.';
    }
    $('history-range').textContent = total ? `${skip + 1}–${skip + data.items.length} of ${total}` : '';
    $('history-prev').disabled = skip === 0;
    $('history-next').disabled = skip + data.items.length >= total;
    $('history').dataset.total = String(total);
  }

  async function refresh() {
    // One load at a time; a refresh asked for meanwhile runs after it.
    const previous = loading;
    loading = (async () => {
      await previous?.catch(() => {});
      try {
        await load();
        if (status.dataset.error) {
          status.textContent = '';
          delete status.dataset.error;
        }
      } catch (e) {
        status.textContent = `The history could not be loaded. ${e.message}`;
        status.dataset.error = 'true';
      }
    })();
    return loading;
  }

  $('history-prev').addEventListener('click', () => { skip = Math.max(0, skip - TAKE); refresh(); });
  $('history-next').addEventListener('click', () => { skip += TAKE; refresh(); });
  $('history-title').tabIndex = -1;
  refresh();
  return { refresh, first() { skip = 0; return refresh(); } };
}
