// AudioWorklet processor: mixes the microphone to mono, low-pass filters and resamples it from the context's
// rate to 16 kHz, and posts Int16 little-endian PCM chunks (ArrayBuffers, transferred) to the main thread.
// Posting 'flush' to its port sends the partial chunk and then the message 'flushed'.

const TAPS = 63;

function lowPass(cutoff) {
  // Blackman-windowed sinc; cutoff in cycles per input sample.
  const h = new Float32Array(TAPS);
  const m = (TAPS - 1) / 2;
  let sum = 0;
  for (let i = 0; i < TAPS; i++) {
    const n = i - m;
    const sinc = n === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * n) / (Math.PI * n);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (TAPS - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (TAPS - 1));
    h[i] = sinc * w;
    sum += h[i];
  }
  for (let i = 0; i < TAPS; i++) h[i] /= sum;
  return h;
}

class PcmDownsampler extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions ?? {};
    const target = o.targetRate ?? 16000;
    this.step = sampleRate / target;            // input samples per output sample
    this.chunkSamples = o.chunkSamples ?? 320;  // 20 ms at 16 kHz
    // Keep 90% of the output band (7.2 kHz at 16 kHz); no filter when the input rate is not above the target.
    this.fir = this.step > 1 ? lowPass((0.45 * target) / sampleRate) : null;
    this.ring = new Float32Array(2 * TAPS);
    this.ringPos = 0;
    this.index = 0;         // absolute index of the next input sample
    this.next = 0;          // input-sample position of the next output sample
    this.last = 0;          // filtered value at index - 1
    this.out = new Int16Array(this.chunkSamples);
    this.outLength = 0;
    this.port.onmessage = (e) => {
      if (e.data === 'flush') {
        this.post();
        this.port.postMessage('flushed');
      }
    };
  }

  post() {
    if (this.outLength === 0) return;
    const chunk = this.out.slice(0, this.outLength);
    this.port.postMessage(chunk.buffer, [chunk.buffer]);
    this.outLength = 0;
  }

  emit(value) {
    const v = Math.max(-1, Math.min(1, value));
    this.out[this.outLength++] = v < 0 ? Math.round(v * 32768) : Math.round(v * 32767);
    if (this.outLength === this.chunkSamples) this.post();
  }

  filter(x) {
    if (!this.fir) return x;
    const ring = this.ring;
    ring[this.ringPos] = x;
    ring[this.ringPos + TAPS] = x;
    this.ringPos = (this.ringPos + 1) % TAPS;
    // ring[ringPos .. ringPos + TAPS) is the history, oldest first.
    let y = 0;
    const h = this.fir;
    for (let k = 0, j = this.ringPos; k < TAPS; k++, j++) y += h[k] * ring[j];
    return y;
  }

  process(inputs) {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    const n = channels[0].length;
    const c = channels.length;
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (let ch = 0; ch < c; ch++) x += channels[ch][i];
      const f = this.filter(x / c);
      // Linear interpolation between the filtered samples at index - 1 and index.
      while (this.next <= this.index) {
        const frac = this.next - (this.index - 1);
        this.emit(this.last + (f - this.last) * frac);
        this.next += this.step;
      }
      this.last = f;
      this.index++;
    }
    return true;
  }
}

registerProcessor('pcm-downsampler', PcmDownsampler);
