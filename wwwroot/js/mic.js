// The microphone: opening it with a clear message for each way it can fail, a level meter, and release.

export class MicrophoneError extends Error {}

export async function openMicrophone() {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MicrophoneError('This browser gives no access to a microphone here (a secure https or localhost page is needed).');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false } });
  } catch (e) {
    switch (e.name) {
      case 'NotAllowedError':
      case 'SecurityError':
        throw new MicrophoneError('Microphone access was denied. Allow the microphone for this site in the browser (the icon in the address bar) and try again.');
      case 'NotFoundError':
      case 'OverconstrainedError':
        throw new MicrophoneError('No microphone was found. Connect one and try again.');
      case 'NotReadableError':
      case 'AbortError':
        throw new MicrophoneError('The microphone could not be started; another program may be using it.');
      default:
        throw new MicrophoneError(`The microphone could not be opened: ${e.message || e.name}`);
    }
  }
}

/** Stops every track so the browser's recording indicator goes off. */
export function releaseStream(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/**
 * Drives a <meter> (0..1, -60..0 dBFS) from an AnalyserNode on `source` until stop() is called.
 * The analyser is a dead end (not connected to the speakers), so nothing is played back.
 */
export function levelMeter(context, source, meter) {
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  let frame = requestAnimationFrame(function tick() {
    analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const v of data) sum += v * v;
    const db = 10 * Math.log10(sum / data.length + 1e-12);
    meter.value = Math.max(0, Math.min(1, (db + 60) / 60));
    frame = requestAnimationFrame(tick);
  });
  return {
    stop() {
      cancelAnimationFrame(frame);
      meter.value = 0;
      analyser.disconnect();
    },
  };
}
