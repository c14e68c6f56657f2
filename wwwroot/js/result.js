// The result panel: overall label, a bar per class, the timeline with playback and a moving cursor.
import { colour, labelText, percent, seconds, NO_SPEECH } from './labels.js';
import { predictionTimeline } from './timeline.js';

const $ = (id) => document.getElementById(id);
let timeline = null;
let audioUrl = null;
let frame = 0;

function bars(prediction, labels) {
  const list = $('result-bars');
  list.replaceChildren();
  const probs = prediction.probabilities ?? {};
  const names = labels?.length ? labels : Object.keys(probs);
  for (const name of names) {
    const p = probs[name] ?? 0;
    const li = document.createElement('li');
    li.dataset.label = name;
    const label = document.createElement('span');
    label.className = 'bar-label';
    label.textContent = name;
    const track = document.createElement('span');
    track.className = 'bar-track';
    const fill = document.createElement('span');
    fill.className = 'bar-fill';
    fill.style.width = `${(p * 100).toFixed(1)}%`;
    fill.style.background = colour(name);
    track.appendChild(fill);
    const value = document.createElement('span');
    value.className = 'bar-value';
    value.textContent = percent(p);
    li.append(label, track, value);
    if (name === prediction.label) li.classList.add('best');
    list.appendChild(li);
  }
  list.hidden = names.length === 0 || prediction.label === NO_SPEECH;
}

function legend(prediction, labels) {
  const ul = $('legend');
  ul.replaceChildren();
  const names = [...new Set([...(labels ?? []), ...(prediction.segments ?? []).map((s) => s.label)])];
  for (const name of names) {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colour(name);
    li.append(swatch, document.createTextNode(labelText(name)));
    ul.appendChild(li);
  }
}

/** One line on how a speaker-adapted model was used ('' when none was asked for). */
export function adaptationText(p) {
  const a = p.adaptation;
  if (!a) return '';
  const n = (k) => `${k} earlier recording${k === 1 ? '' : 's'}`;
  return a.applied
    ? `Adapted to speaker ${p.speaker} (${n(a.profileRecordings)}).`
      + (a.compensated ? ' The profile reads as mostly one emotion, so it was compensated for that emotion.' : '')
    : `Speaker ${p.speaker} has ${a.profileRecordings} of ${a.requiredRecordings} recordings needed; answered by ${p.model}.`;
}

/** The channels a routed model's detector tells apart other than clean, in plain words. */
const HEARD = { phone: 'a phone line', noise: 'a noisy room', room: 'a reverberant room', babble: 'speech among other voices' };

/**
 * One line when the model heard the audio through a channel other than clean ('' when clean or when the model has no
 * channel detector): the models read phones, noise, rooms and babble less well (docs/accuracy.md).
 */
export function channelText(p) {
  const heard = p.channel?.heard;
  if (!heard || heard === 'clean') return '';
  return `Heard as ${HEARD[heard] ?? heard}: readings are less certain there.`;
}

function table(prediction) {
  const body = $('segments-table').tBodies[0];
  body.replaceChildren();
  for (const s of prediction.segments ?? []) {
    const tr = body.insertRow();
    tr.insertCell().textContent = `${s.start.toFixed(1)} s`;
    tr.insertCell().textContent = `${s.end.toFixed(1)} s`;
    tr.insertCell().textContent = labelText(s.label);
    tr.insertCell().textContent = s.label === NO_SPEECH ? '–' : percent(s.confidence);
  }
}

/**
 * Shows a prediction. `audio` is the Blob that was analysed (null for history entries, whose audio the service
 * does not keep); `source` says where it came from; `labels` are the model's classes in order; `model` names the model
 * that answered with its language.
 */
export function showResult(prediction, { audio = null, source = '', labels = null, model = '' } = {}) {
  const section = $('result');
  section.hidden = false;
  const noSpeech = prediction.label === NO_SPEECH;
  const big = $('result-label');
  big.replaceChildren();
  big.dataset.label = prediction.label;
  if (noSpeech) {
    big.textContent = 'No speech detected';
    const hint = document.createElement('span');
    hint.className = 'hint block';
    hint.textContent = 'The audio has less than a quarter of a second of speech. Speak closer to the microphone or choose another file.';
    big.appendChild(hint);
  } else {
    const swatch = document.createElement('span');
    swatch.className = 'swatch big';
    swatch.style.background = colour(prediction.label);
    const name = document.createElement('span');
    name.className = 'label-name';
    name.textContent = prediction.label;
    const conf = document.createElement('span');
    conf.className = 'confidence';
    conf.textContent = ` ${percent(prediction.confidence)} confidence`;
    big.append(swatch, name, conf);
  }
  const when = prediction.createdAt ? new Date(prediction.createdAt).toLocaleString() : '';
  const adaptation = adaptationText(prediction);
  $('result-source').textContent = [source || prediction.fileName, `answered by ${model || `model ${prediction.model}`}`,
    !adaptation && prediction.speaker ? `speaker ${prediction.speaker}` : '',
    `${seconds(prediction.durationSeconds)} of audio, ${seconds(prediction.speechSeconds)} of speech`, when]
    .filter(Boolean).join(' · ');
  const channel = channelText(prediction);
  $('result-channel').textContent = channel;
  $('result-channel').hidden = !channel;
  $('result-adaptation').textContent = adaptation;
  $('result-adaptation').hidden = !adaptation;
  // A profile dominated by one emotion under-reads it: say so next to the reading it affects.
  const warning = prediction.adaptation?.warning ?? '';
  $('result-adaptation-warning').textContent = warning ? `Caution: ${warning}.` : '';
  $('result-adaptation-warning').hidden = !warning;
  bars(prediction, labels);
  legend(prediction, labels);
  table(prediction);

  const player = $('result-audio');
  cancelAnimationFrame(frame);
  timeline?.dispose();
  if (audioUrl) URL.revokeObjectURL(audioUrl);
  audioUrl = null;
  timeline = predictionTimeline($('result-timeline'), prediction, audio ? (t) => { player.currentTime = t; player.play().catch(() => {}); } : null);
  if (audio) {
    audioUrl = URL.createObjectURL(audio);
    player.src = audioUrl;
    player.hidden = false;
  } else {
    player.removeAttribute('src');
    player.load();
    player.hidden = true;
  }
  $('timeline-hint').textContent = audio ? 'Click it to play from that point.' : 'The audio of saved results is not kept.';
  const follow = () => {
    timeline?.setCursor(player.currentTime);
    if (!player.paused) frame = requestAnimationFrame(follow);
  };
  player.onplay = () => { cancelAnimationFrame(frame); frame = requestAnimationFrame(follow); };
  player.onseeked = follow;
  player.ontimeupdate = () => timeline?.setCursor(player.currentTime);
  player.onended = () => timeline?.setCursor(null);
}

export function hideResult() {
  $('result').hidden = true;
}
