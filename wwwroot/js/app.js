// Wires the page: model picker, tabs, error banner, upload, recording, live mode and history.
import { apiKey, download, forgetSpeakerProfile, getJson } from './api.js';
import { languageName } from './labels.js';
import { initUpload } from './upload.js';
import { initRecord } from './record.js';
import { initLive } from './live.js';
import { initHistory } from './history.js';

const $ = (id) => document.getElementById(id);

const models = [];
const modelListeners = [];
// The service's rule for the 'speaker' field (SpeakersApi.IsValid); the input's pattern says the same.
const PSEUDONYM = /^(?=.*[A-Za-z0-9])[A-Za-z0-9._-]{1,64}$/; // as SpeakersApi.IsValid

function speakerProblem(message) {
  const input = $('speaker');
  $('speaker-error').textContent = message;
  input.setAttribute('aria-invalid', String(Boolean(message)));
  if (message) input.focus();
}

/** The model recommended for a language (its card's "recommended" block), if the list has one. */
const recommendedFor = (language) => models.find((m) => m.recommended?.for === language);

export const page = {
  /** The language spoken ('en', 'de'): sent with every request, so its recommended model answers unless one is chosen. */
  get language() { return $('language').value; },
  /** The model chosen by id, or '' for the language's recommended model (the service picks it). */
  get model() { return $('model').value; },
  /** The id of the model that will answer: the one chosen, else the language's recommended one. */
  get answering() { return $('model').value || recommendedFor($('language').value)?.id || ''; },
  labels(id = page.answering) {
    return models.find((m) => m.id === id)?.labels ?? null;
  },
  /** "model mlr-ravdess (English)": a model and the language it was trained on, as the result names who answered. */
  describe(id) {
    const m = models.find((x) => x.id === id);
    return m ? `model ${m.id} (${languageName(m.language)})` : `model ${id}`;
  },
  /** The answering model's speaker adaptation ({ profileRecordings, fallbackModel }), or null for an ordinary model. */
  get adaptation() { return models.find((m) => m.id === page.answering)?.speakerAdaptation ?? null; },
  onModelChange(listener) { modelListeners.push(listener); },
  /**
   * The speaker to send ('' for none), or null when the field is wrong for the chosen model: the field then says
   * why and has the focus, and nothing should be sent.
   */
  speaker() {
    const value = $('speaker').value.trim();
    if (value && !PSEUDONYM.test(value)) {
      speakerProblem(`“${value}” is not accepted as a speaker: use 1 to 64 letters, digits, '.', '_' or '-' (no spaces, at least one letter or digit), a pseudonym such as p03 rather than a name.`);
      return null;
    }
    if (!value && page.adaptation) {
      speakerProblem(`${page.answering} adapts to the speaker: enter a speaker pseudonym (such as p03) before sending, so their recordings can form a profile.`);
      return null;
    }
    speakerProblem('');
    return value;
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
  const m = models.find((x) => x.id === page.answering);
  const first = $('model').options[0];
  if (first?.value === '' && models.length) first.textContent = recommendedText();
  const mismatch = m && m.language !== page.language
    ? ` It was trained on ${languageName(m.language)}, not ${languageName(page.language)}: its readings of ${languageName(page.language)} speech are less reliable.`
    : '';
  const adapted = m?.speakerAdaptation
    ? ` It adapts to the speaker named below; until that speaker has enough recordings, its fallback model ${m.speakerAdaptation.fallbackModel} answers.`
    : '';
  $('model-info').textContent = m
    ? `${m.id}: ${languageName(m.language)} speech (${m.corpus}), ${m.kind}, ${m.parameters.toLocaleString('en')} parameters. Emotions: ${m.labels.join(', ')}.${mismatch}${adapted}`
    : '';
  // A message about a missing speaker no longer applies to another model.
  if ($('speaker').getAttribute('aria-invalid') === 'true' && !$('speaker').value.trim()) speakerProblem('');
  for (const l of modelListeners) l();
}

function recommendedText() {
  const m = recommendedFor(page.language);
  return m ? `Recommended for ${languageName(page.language)}: ${m.id}` : `The service's choice for ${languageName(page.language)}`;
}

function modelGroup(label, list) {
  const group = document.createElement('optgroup');
  group.label = label;
  group.append(...list.map((m) => new Option(`${m.id} (${languageName(m.language)})`, m.id)));
  return group;
}

// The first entry lets the service answer with the spoken language's recommended model; each language's recommended
// model follows, then every other model by id for those who want to compare.
async function loadModels() {
  const select = $('model');
  try {
    const list = await getJson('/api/models');
    models.splice(0, models.length, ...list);
    const chosen = select.value;
    select.replaceChildren(
      new Option(recommendedText(), ''),
      modelGroup('Recommended', list.filter((m) => m.recommended)),
      modelGroup('Other models', list.filter((m) => !m.recommended)));
    select.value = models.some((m) => m.id === chosen) ? chosen : '';
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

// "Forget this speaker's profile": after a confirmation, the service erases the speaker's profile statistics (their
// predictions stay), so the next recording starts a new profile.
function initForgetSpeaker() {
  const input = $('speaker');
  const button = $('speaker-forget');
  const status = $('speaker-status');
  let busy = false;
  // Not disabled while the request runs (that would drop the keyboard focus); a second click meanwhile is ignored.
  const update = () => { button.disabled = !PSEUDONYM.test(input.value.trim()); };
  input.addEventListener('input', update);
  button.addEventListener('click', async () => {
    const speaker = input.value.trim();
    if (busy || !PSEUDONYM.test(speaker)) return;
    if (!confirm(`Forget the profile of ${speaker}? Their results stay in the history; their next recording starts a new profile.`)) return;
    page.clearError();
    status.textContent = '';
    busy = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const forgotten = await forgetSpeakerProfile(speaker);
      if (forgotten) {
        const n = forgotten.recordings;
        status.textContent = `Forgot the profile of ${forgotten.speaker} (${n} recording${n === 1 ? '' : 's'}); its predictions stay in the history.`;
      } else {
        status.textContent = `${speaker} has no profile to forget.`;
      }
    } catch (e) {
      page.showError(`The profile of ${speaker} could not be forgotten. ${e.message}`);
    } finally {
      busy = false;
      button.removeAttribute('aria-busy');
    }
  });
  update();
}

$('error-close').addEventListener('click', () => page.clearError());
initApiKey();
$('model').addEventListener('change', describeModel);
$('language').addEventListener('change', describeModel);
$('speaker').addEventListener('input', () => {
  if ($('speaker').getAttribute('aria-invalid') === 'true' && PSEUDONYM.test($('speaker').value.trim())) speakerProblem('');
});
initForgetSpeaker();
initTabs();
page.history = initHistory(page);
initUpload(page);
initRecord(page);
initLive(page);
await loadModels();
document.body.dataset.ready = 'true';
