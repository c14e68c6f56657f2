// Strip charts of emotion over time, drawn as SVG at the container's pixel width (so text stays crisp):
// one bar per window, coloured by label, as tall as the window's confidence; windows without speech are grey.
import { colour, labelText, percent, NO_SPEECH } from './labels.js';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 150;
const AXIS = 22;
const TOP = 6;

function el(name, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

function tickStep(span, width) {
  const wanted = span / Math.max(2, Math.floor(width / 70));
  for (const s of [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300]) if (s >= wanted) return s;
  return 600;
}

/**
 * Bars for [from, to] intervals between t0 and t1. Items: {from, to, label, confidence, title}.
 * Returns the <svg>; `cursor` (seconds) draws the playback line.
 */
function draw(container, items, t0, t1, cursor, ariaLabel) {
  const width = Math.max(200, container.clientWidth || 300);
  const plot = HEIGHT - AXIS - TOP;
  const x = (t) => ((t - t0) / Math.max(1e-9, t1 - t0)) * width;
  const svg = el('svg', { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img', 'aria-label': ariaLabel });
  el('rect', { x: 0, y: TOP, width, height: plot, class: 'plot-bg' }, svg);
  for (const f of [0.5, 1]) {
    el('line', { x1: 0, x2: width, y1: TOP + plot * (1 - f), y2: TOP + plot * (1 - f), class: 'grid' }, svg);
  }
  const bars = el('g', { class: 'bars' }, svg);
  for (const it of items) {
    const a = Math.max(0, x(it.from));
    const b = Math.min(width, x(it.to));
    if (b <= a) continue;
    const silent = it.label === NO_SPEECH;
    const h = silent ? plot : Math.max(2, plot * it.confidence);
    const r = el('rect', {
      x: a + 0.5, y: TOP + plot - h, width: Math.max(1, b - a - 1), height: h,
      fill: colour(it.label), 'fill-opacity': silent ? 0.45 : 0.9, class: 'seg', 'data-label': it.label,
    }, bars);
    el('title', {}, r).textContent = it.title;
  }
  const step = tickStep(t1 - t0, width);
  for (let t = Math.ceil(t0 / step) * step; t <= t1 + 1e-9; t += step) {
    const px = x(t);
    el('line', { x1: px, x2: px, y1: TOP + plot, y2: TOP + plot + 4, class: 'tick' }, svg);
    const label = el('text', { x: Math.min(width - 14, Math.max(8, px)), y: HEIGHT - 6, 'text-anchor': 'middle', class: 'tick-label' }, svg);
    label.textContent = `${Number(t.toFixed(1))} s`;
  }
  const line = el('line', { x1: 0, x2: 0, y1: TOP, y2: TOP + plot, class: 'cursor', visibility: 'hidden' }, svg);
  if (cursor != null) {
    line.setAttribute('x1', x(cursor));
    line.setAttribute('x2', x(cursor));
    line.setAttribute('visibility', 'visible');
  }
  container.replaceChildren(svg);
  return { svg, line, x, width };
}

function segmentTitle(s) {
  const what = s.label === NO_SPEECH ? 'no speech' : `${s.label} ${percent(s.confidence)}`;
  return `${s.start.toFixed(1)}–${s.end.toFixed(1)} s: ${what}`;
}

/**
 * The timeline of one prediction. Utterance segments tile the recording and are drawn as they are; overlapping
 * windows (timeline=windows, older predictions) are shown each in the stretch of audio nearest its centre, so
 * the bars tile the whole recording too. `onSeek(t)` is called when the chart is clicked.
 */
export function predictionTimeline(container, prediction, onSeek) {
  const segments = prediction.segments ?? [];
  const duration = Math.max(prediction.durationSeconds || 0, ...segments.map((s) => s.end), 0.1);
  const tiled = segments.every((s, i) => i === 0 || s.start >= segments[i - 1].end - 1e-6);
  const mids = segments.map((s) => (s.start + s.end) / 2);
  const items = segments.map((s, i) => ({
    from: tiled ? s.start : i === 0 ? 0 : (mids[i - 1] + mids[i]) / 2,
    to: tiled ? s.end : i === segments.length - 1 ? duration : (mids[i] + mids[i + 1]) / 2,
    label: s.label,
    confidence: s.confidence,
    title: segmentTitle(s),
  }));
  const unit = tiled ? 'segment' : 'window';
  const summary = `Emotion timeline over ${duration.toFixed(1)} seconds, ${segments.length} ${unit}${segments.length === 1 ? '' : 's'}`;
  let cursor = null;
  let state = draw(container, items, 0, duration, cursor, summary);
  const redraw = () => { state = draw(container, items, 0, duration, cursor, summary); };
  const observer = new ResizeObserver(() => {
    if (Math.abs((container.clientWidth || 0) - state.width) > 2) redraw();
  });
  observer.observe(container);
  container.style.cursor = onSeek ? 'pointer' : 'default';
  container.onclick = (e) => {
    if (!onSeek) return;
    const box = state.svg.getBoundingClientRect();
    onSeek(Math.max(0, Math.min(duration, ((e.clientX - box.left) / box.width) * duration)));
  };
  return {
    setCursor(t) {
      cursor = t;
      const px = state.x(t);
      state.line.setAttribute('x1', px);
      state.line.setAttribute('x2', px);
      state.line.setAttribute('visibility', t == null ? 'hidden' : 'visible');
    },
    dispose() {
      observer.disconnect();
      container.onclick = null;
    },
  };
}

/** The live chart: the readings of the last `span` seconds, each drawn over the hop that produced it. */
export function liveTimeline(container, span = 30) {
  let readings = [];
  let hop = 0.5;
  const render = () => {
    const last = readings.length ? readings[readings.length - 1].end : 0;
    const t1 = Math.max(span, last);
    const t0 = t1 - span;
    readings = readings.filter((r) => r.end >= t0);
    const items = readings.map((r) => ({
      from: Math.max(r.start, r.end - hop), to: r.end, label: r.label, confidence: r.confidence, title: segmentTitle(r),
    }));
    draw(container, items, t0, t1, null, `Live emotion readings, last ${span} seconds, ${items.length} readings`);
  };
  render();
  let width = container.clientWidth;
  new ResizeObserver(() => {
    if (Math.abs(container.clientWidth - width) > 2) {
      width = container.clientWidth;
      render();
    }
  }).observe(container);
  return {
    setHop(h) { hop = h > 0 ? h : hop; },
    add(reading) { readings.push(reading); render(); },
    clear() { readings = []; render(); },
  };
}
