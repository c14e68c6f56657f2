// Colours and wording for the emotion labels. Colours are distinguishable for common colour-vision deficiencies
// as far as seven hues allow (Okabe-Ito based); every chart also names the label in text.
const COLOURS = {
  neutral: '#7a7a7a',
  calm: '#7a7a7a',
  happy: '#e69f00',
  sad: '#0072b2',
  angry: '#d55e00',
  fearful: '#8e4fa6',
  disgust: '#009e73',
  bored: '#8c6d31',
  surprised: '#cc79a7',
  no_speech: '#d0d0d0',
};
const FALLBACK = ['#56b4e9', '#f0e442', '#999933', '#882255'];

export const NO_SPEECH = 'no_speech';

export function colour(label) {
  if (COLOURS[label]) return COLOURS[label];
  let h = 0;
  for (const c of label) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return FALLBACK[h % FALLBACK.length];
}

export function labelText(label) {
  return label === NO_SPEECH ? 'no speech detected' : label;
}

export function percent(p) {
  return `${Math.round(p * 100)} %`;
}

export function seconds(s) {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')} min`;
}

/** "de" -> "German" where the browser knows the name. */
export function languageName(code) {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}
