// Record: MediaRecorder in the browser's own format (WebM/Opus in Chromium, Ogg/Opus in Firefox, MP4 in Safari),
// sent as it is; when the service answers 415 the recording is converted to 16 kHz mono WAV here and sent again.
import { ApiError, postPrediction } from './api.js';
import { openMicrophone, releaseStream, levelMeter } from './mic.js';
import { showResult } from './result.js';
import { toWav16kMono } from './wav.js';

const $ = (id) => document.getElementById(id);
const MAX_SECONDS = 300;
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4', 'audio/webm', 'audio/ogg'];

function pickType() {
  if (typeof MediaRecorder === 'undefined') return null;
  return TYPES.find((t) => MediaRecorder.isTypeSupported(t)) ?? '';
}

function extension(type) {
  if (type.includes('webm')) return 'webm';
  if (type.includes('ogg')) return 'ogg';
  if (type.includes('mp4') || type.includes('aac')) return 'm4a';
  return 'audio';
}

function clock(s) {
  return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

export function initRecord(page) {
  const consent = $('record-consent');
  const start = $('record-start');
  const stop = $('record-stop');
  const timer = $('record-timer');
  const status = $('record-status');
  let session = null;
  let sending = false;

  const sync = () => {
    start.disabled = !consent.checked || session !== null || sending;
    stop.disabled = session === null;
  };
  consent.addEventListener('change', sync);

  start.addEventListener('click', async () => {
    page.clearError();
    // Checked before recording, not after, so a missing or wrong speaker never costs a recording.
    const speaker = page.speaker();
    if (speaker === null) return;
    const type = pickType();
    if (type === null) {
      page.showError('This browser cannot record audio (no MediaRecorder).');
      return;
    }
    let stream;
    try {
      stream = await openMicrophone();
    } catch (e) {
      page.showError(e.message);
      status.textContent = '';
      return;
    }
    const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks = [];
    recorder.addEventListener('dataavailable', (e) => { if (e.data.size) chunks.push(e.data); });
    const context = new AudioContext();
    const meter = levelMeter(context, context.createMediaStreamSource(stream), $('record-level'));
    const began = performance.now();
    const tick = setInterval(() => {
      const s = (performance.now() - began) / 1000;
      timer.textContent = clock(s);
      if (s >= MAX_SECONDS) stop.click();
    }, 250);
    session = { recorder, stream, context, meter, tick };
    const { language, model } = page;
    recorder.addEventListener('stop', () => {
      clearInterval(tick);
      meter.stop();
      context.close();
      releaseStream(stream);
      session = null;
      const blob = new Blob(chunks, { type: recorder.mimeType || type || 'audio/webm' });
      analyse(blob, { language, model, speaker });
    }, { once: true });
    recorder.start(250);
    status.dataset.path = '';
    status.textContent = `Recording (${recorder.mimeType || 'browser default format'}). Press Stop when you are done.`;
    sync();
    stop.focus();
  });

  stop.addEventListener('click', () => {
    if (session?.recorder.state === 'recording') session.recorder.stop();
    stop.disabled = true;
  });

  async function analyse(blob, choice) {
    sending = true;
    sync();
    const name = `recording.${extension(blob.type)}`;
    const seconds = timer.textContent;
    status.textContent = `Analysing the ${seconds} recording…`;
    try {
      let prediction;
      try {
        prediction = await postPrediction(blob, name, choice);
        status.dataset.path = 'original';
        status.textContent = `Analysed the ${seconds} recording (${blob.type}).`;
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 415) throw e;
        status.textContent = `The service cannot decode ${blob.type || 'this format'}; converting the recording to WAV in the browser…`;
        const wav = await toWav16kMono(blob);
        prediction = await postPrediction(wav, 'recording.wav', choice);
        status.dataset.path = 'wav';
        status.textContent = `Analysed the ${seconds} recording, converted to 16 kHz WAV in the browser (the service could not decode ${blob.type || 'its format'}).`;
      }
      showResult(prediction, { audio: blob, source: `Recording (${seconds})`, labels: page.labels(prediction.model), model: page.describe(prediction.model) });
      page.history.first();
    } catch (e) {
      status.textContent = '';
      page.showError(`The recording could not be analysed. ${e.message}`);
    } finally {
      sending = false;
      sync();
    }
  }
}
