// Live: microphone -> AudioWorklet (16 kHz mono Int16 PCM) -> WebSocket /api/stream -> a reading every hop.
// The delay shown is from sending the audio sample a reading ends at to receiving that reading.
import { openMicrophone, releaseStream, levelMeter } from './mic.js';
import { colour, labelText, percent, seconds, NO_SPEECH } from './labels.js';
import { liveTimeline } from './timeline.js';
import { ApiError, getJson, streamUrl } from './api.js';
import { channelText, showResult } from './result.js';
import { parseLiveMessage, stopMessage } from './live-messages.js';

const $ = (id) => document.getElementById(id);
const RATE = 16000;
const CHUNK = 320; // 20 ms per WebSocket frame

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

/**
 * A browser does not tell a page why a WebSocket handshake failed; the same URL over plain HTTP does for what is
 * checked before the endpoint (API key 401, rate limit 429). The endpoint itself answers that with 400.
 */
async function whyRefused(params, code) {
  try {
    await getJson(`/api/stream?${params}`);
  } catch (e) {
    if (e instanceof ApiError && e.status !== 400 && e.status !== 0) return `Live mode could not start. ${e.message}`;
  }
  return `The live service could not be reached or is busy (code ${code}). Try again shortly.`;
}

export function initLive(page) {
  const panel = $('panel-live');
  const consent = $('live-consent');
  const start = $('live-start');
  const stop = $('live-stop');
  const status = $('live-status');
  const chart = liveTimeline($('live-timeline'));
  let session = null;

  const note = $('live-model-note');
  const sync = () => {
    // A speaker-adapted model reads the stream against the profile of the speaker named above (checked on start).
    const adapted = page.adaptation;
    note.textContent = adapted
      ? `${page.answering} reads the stream against the profile of the speaker named above, built from their saved recordings; `
        + `until they have enough, ${adapted.fallbackModel} answers. A saved session joins the profile.`
      : '';
    start.disabled = !consent.checked || session !== null;
    stop.disabled = session === null || session.stopping;
  };
  consent.addEventListener('change', sync);
  page.onModelChange(sync);

  let announced = '';
  function showNow(reading) {
    // Screen readers hear the emotion when it changes, not every half second.
    if (reading.label !== announced) {
      announced = reading.label;
      $('live-announce').textContent = `Now ${labelText(reading.label)}`;
    }
    const out = $('live-label');
    out.replaceChildren();
    out.dataset.label = reading.label;
    if (reading.label === NO_SPEECH) {
      out.textContent = labelText(NO_SPEECH);
      return;
    }
    const swatch = document.createElement('span');
    swatch.className = 'swatch big';
    swatch.style.background = colour(reading.label);
    const conf = document.createElement('span');
    conf.className = 'confidence';
    conf.textContent = ` ${percent(reading.confidence)}`;
    out.append(swatch, document.createTextNode(reading.label), conf);
  }

  function sentAt(s, offset) {
    // The time the chunk holding sample `offset` was sent: the first chunk whose end is at or past it.
    const sent = s.sent;
    while (sent.length > 1 && sent[1].end < offset) sent.shift();
    const hit = sent.find((x) => x.end >= offset);
    return hit?.time;
  }

  function onReading(s, r) {
    s.readings++;
    const time = sentAt(s, Math.round(r.end * RATE));
    if (time !== undefined) {
      s.delays.push(performance.now() - time);
      if (s.delays.length > 50) s.delays.shift();
      const last = s.delays[s.delays.length - 1];
      $('live-delay').textContent = `${Math.round(last)} ms (median ${Math.round(median(s.delays))}, max ${Math.round(Math.max(...s.delays))})`;
      $('live-delay').dataset.ms = String(Math.round(last));
    }
    $('live-count').textContent = String(s.readings);
    $('live-seconds').textContent = seconds(r.audioSeconds);
    showNow(r);
    chart.add(r);
  }

  function onSummary(s, m) {
    s.summary = m;
    const box = $('live-summary');
    box.hidden = false;
    const what = m.label === NO_SPEECH ? 'no speech detected' : `${m.label} (${percent(m.confidence)} confidence)`;
    const channel = channelText(m);
    box.textContent = `Session: ${what} over ${seconds(m.durationSeconds)} of audio, ${seconds(m.speechSeconds)} of speech.`
      + (channel ? ` ${channel}` : '') + (m.id ? ' Saved to the history.' : ' Not saved.');
    box.dataset.label = m.label;
    if (m.id) {
      page.history.first();
      // The saved session has the whole timeline: show it like an upload's result.
      getJson(`/api/predictions/${m.id}`)
        .then((full) => showResult(full, { source: 'Live session', labels: page.labels(full.model), model: page.describe(full.model) }))
        .catch((e) => page.showError(`The saved session could not be shown. ${e.message}`));
    }
  }

  /** Stops the worklet and the microphone: tracks stopped, AudioContext closed. */
  async function releaseAudio(s) {
    if (!s.audio) return;
    const { stream, context, node, meter } = s.audio;
    s.audio = null;
    meter.stop();
    if (node) {
      node.port.onmessage = null;
      node.disconnect();
    }
    releaseStream(stream);
    await context.close().catch(() => {});
    panel.dataset.mic = 'off';
  }

  async function finish(s, message) {
    if (s.finished) return;
    s.finished = true;
    await releaseAudio(s);
    if (session === s) session = null;
    if (s.ws.readyState === WebSocket.OPEN || s.ws.readyState === WebSocket.CONNECTING) s.ws.close(1000);
    clearTimeout(s.timer);
    if (message) page.showError(message);
    status.textContent = message ? 'Live analysis stopped.' : 'Stopped. The microphone is released.';
    sync();
    start.focus();
  }

  start.addEventListener('click', async () => {
    page.clearError();
    const speaker = page.speaker(); // null: the speaker field says what is wrong and has the focus
    if (speaker === null) return;
    $('live-summary').hidden = true;
    let stream;
    try {
      stream = await openMicrophone();
    } catch (e) {
      page.showError(e.message);
      return;
    }
    panel.dataset.mic = 'on';
    const context = new AudioContext({ latencyHint: 'interactive' });
    const source = context.createMediaStreamSource(stream);
    const s = {
      audio: { stream, context, node: null, meter: levelMeter(context, source, $('live-level')) },
      sent: [], samples: 0, delays: [], readings: 0, stopping: false, summary: null, ready: false, timer: 0,
    };
    session = s;
    sync();
    chart.clear();
    $('live-count').textContent = '0';
    $('live-delay').textContent = '–';
    $('live-label').textContent = '–';
    announced = '';
    status.textContent = 'Connecting…';

    const params = new URLSearchParams({ save: String($('live-save').checked) });
    params.set('language', page.language);
    if (page.model) params.set('model', page.model);
    if (speaker) params.set('speaker', speaker);
    const ws = new WebSocket(streamUrl(params));
    ws.binaryType = 'arraybuffer';
    s.ws = ws;
    s.timer = setTimeout(() => { if (!s.ready) finish(s, 'The live service did not answer within 10 seconds.'); }, 10000);

    ws.addEventListener('message', async (e) => {
      if (typeof e.data !== 'string') return;
      const m = parseLiveMessage(e.data);
      if (!m) return;
      if (m.type === 'ready') {
        s.ready = true;
        clearTimeout(s.timer);
        chart.setHop(m.hopSeconds);
        try {
          await context.audioWorklet.addModule('js/pcm-worklet.js');
          if (!s.audio) return;
          const node = new AudioWorkletNode(context, 'pcm-downsampler', {
            numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: 'explicit',
            processorOptions: { targetRate: m.sampleRate, chunkSamples: CHUNK },
          });
          node.port.onmessage = (ev) => {
            if (!(ev.data instanceof ArrayBuffer) || ws.readyState !== WebSocket.OPEN || s.stopping) return;
            ws.send(ev.data);
            s.samples += ev.data.byteLength / 2;
            s.sent.push({ end: s.samples, time: performance.now() });
          };
          source.connect(node);
          node.connect(context.destination); // silent: the processor writes no output, but it must be pulled
          s.audio.node = node;
          const a = m.adaptation;
          const profile = !a ? ''
            : a.applied ? ` Read against ${speaker}'s profile of ${a.profileRecordings} recordings${a.compensated ? ', compensated for the emotion it mostly reads as' : ''}.${a.warning ? ` ${a.warning}.` : ''}`
            : ` ${speaker} has ${a.profileRecordings} of the ${a.requiredRecordings} recordings ${a.model} needs, so ${m.model} answers.`;
          status.textContent = `Live with ${page.describe(m.model)}: a reading every ${m.hopSeconds} s over the last ${m.windowSeconds} s.${profile} Speak now.`;
        } catch (err) {
          finish(s, `The audio processor could not start: ${err.message}`);
        }
      } else if (m.type === 'reading') {
        onReading(s, m);
      } else if (m.type === 'summary') {
        onSummary(s, m);
      } else if (m.type === 'error') {
        s.error = m.detail;
      }
    });
    ws.addEventListener('close', async (e) => {
      let message = null;
      if (s.error) message = `Live analysis stopped: ${s.error}`;
      else if (!s.stopping) message = s.ready
        ? `The connection to the service was lost (code ${e.code}). Press “Go live” to start again.`
        : await whyRefused(params, e.code);
      finish(s, message);
    });
  });

  stop.addEventListener('click', async () => {
    const s = session;
    if (!s || s.stopping) return;
    s.stopping = true;
    sync();
    status.textContent = 'Stopping…';
    const node = s.audio?.node;
    if (node && s.ws.readyState === WebSocket.OPEN) {
      // Send the audio still in the processor, then release the microphone, then ask for the summary.
      await new Promise((resolve) => {
        const t = setTimeout(resolve, 300);
        node.port.onmessage = (ev) => {
          if (ev.data instanceof ArrayBuffer) {
            s.ws.send(ev.data);
            s.samples += ev.data.byteLength / 2;
          } else if (ev.data === 'flushed') {
            clearTimeout(t);
            resolve();
          }
        };
        node.port.postMessage('flush');
      });
    }
    await releaseAudio(s);
    status.textContent = 'Microphone released; waiting for the summary…';
    if (s.ws.readyState === WebSocket.OPEN) {
      s.ws.send(stopMessage());
      s.timer = setTimeout(() => finish(s, s.summary ? null : 'The service sent no summary within 5 seconds.'), 5000);
    } else {
      finish(s, null);
    }
  });
}
