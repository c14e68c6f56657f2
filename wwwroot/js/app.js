// Wires the page: model picker, tabs, error banner, upload, recording, live mode and history.
import { apiKey, download, getJson } from './api.js';
import { languageName } from './labels.js';
import { initUpload } from './upload.js';
import { initRecord } from './record.js';
import { initLive } from './live.js';
import { initHistory } from './history.js';

const $ = (id) => document.getElementById(id);

const models = [];

export const page = {
  /** The chosen model id ('' until the list has loaded: the service then uses its default). */
  get model() { return $('model').value; },
  labels(id = $('model').value) {
    return models.find((m) => m.id === id)?.labels ?? null;
  },
  showError(message) {
    $('error-text').textContent = message;
    $('error').hidden = false;
  },
  clearError() {
    $('error').hidden = true;
    $('error-text').textContent = '';
  },
  history: null,
};

function describeModel() {
  const m = models.find((x) => x.id === $('model').value);
  $('model-info').textContent = m
    ? `${languageName(m.language)} speech (${m.corpus}), ${m.kind}, ${m.parameters.toLocaleString('en')} parameters. Emotions: ${m.labels.join(', ')}.`
    : '';
}

async function loadModels() {
  const select = $('model');
  try {
    const list = await getJson('/api/models');
    models.splice(0, models.length, ...list);
    select.replaceChildren(...list.map((m) => {
      const o = document.createElement('option');
      o.value = m.id;
      o.textContent = `${m.id} (${languageName(m.language)}${m.isDefault ? ', default' : ''})`;
      o.selected = m.isDefault;
      return o;
    }));
    describeModel();
  } catch (e) {
    select.replaceChildren(new Option('the service default', ''));
    page.showError(`The list of models could not be loaded. ${e.message}`);
  }
}

function initTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) tab.focus();
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (e) => {
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      select(tabs[(next + tabs.length) % tabs.length], true);
    });
  });
}

function initApiKey() {
  const form = $('key-form');
  apiKey.onUnauthorized(() => {
    if (!form.hidden) return;
    form.hidden = false;
    $('api-key').value = '';
    $('api-key').focus();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    apiKey.set($('api-key').value.trim());
    form.hidden = true;
    page.clearError();
    await loadModels();
    await page.history.first();
  });
  // A plain link cannot carry the key: with one, download through fetch.
  for (const link of [$('export-csv'), $('export-json')]) {
    link.addEventListener('click', async (e) => {
      if (!apiKey.get()) return;
      e.preventDefault();
      try {
        await download(link.href);
      } catch (err) {
        page.showError(`The download failed. ${err.message}`);
      }
    });
  }
}

$('error-close').addEventListener('click', () => page.clearError());
initApiKey();
$('model').addEventListener('change', describeModel);
initTabs();
page.history = initHistory(page);
initUpload(page);
initRecord(page);
initLive(page);
await loadModels();
document.body.dataset.ready = 'true';
