// A tiny WAV encoder and the in-browser conversion to 16 kHz mono WAV used when the service cannot decode a
// recording's container (415): the browser decodes it, an OfflineAudioContext mixes to mono and resamples.

export const TARGET_RATE = 16000;

/** 16-bit PCM little-endian mono WAV from float samples in [-1, 1]. */
export function encodeWav(samples, sampleRate) {
  const dataBytes = samples.length * 2;
  const buffer = new ArrayBuffer(44 + dataBytes);
  const v = new DataView(buffer);
  const ascii = (offset, s) => { for (let i = 0; i < s.length; i++) v.setUint8(offset + i, s.charCodeAt(i)); };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);          // fmt chunk size
  v.setUint16(20, 1, true);           // PCM
  v.setUint16(22, 1, true);           // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true); // byte rate
  v.setUint16(32, 2, true);           // block align
  v.setUint16(34, 16, true);          // bits per sample
  ascii(36, 'data');
  v.setUint32(40, dataBytes, true);
  for (let i = 0, o = 44; i < samples.length; i++, o += 2) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    v.setInt16(o, s < 0 ? Math.round(s * 32768) : Math.round(s * 32767), true);
  }
  return new Blob([buffer], { type: 'audio/wav' });
}

/** Decodes any audio the browser can play and returns it as 16 kHz mono 16-bit WAV. */
export async function toWav16kMono(blob) {
  const bytes = await blob.arrayBuffer();
  // decodeAudioData needs a context; an OfflineAudioContext avoids touching the audio output device.
  const decoder = new OfflineAudioContext(1, 1, TARGET_RATE);
  const decoded = await decoder.decodeAudioData(bytes);
  const frames = Math.max(1, Math.ceil(decoded.duration * TARGET_RATE));
  const offline = new OfflineAudioContext(1, frames, TARGET_RATE);
  const source = offline.createBufferSource();
  source.buffer = decoded;           // channels are mixed down to the context's one channel
  source.connect(offline.destination);
  source.start();
  const rendered = await offline.startRendering();
  return encodeWav(rendered.getChannelData(0), TARGET_RATE);
}
