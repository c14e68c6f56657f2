// Records a WAV file through Chromium's real MediaRecorder (fake microphone fed from the file) and writes the
// WebM blob Chromium produces: live layout, unknown-size Segment and Clusters, no Cues, no Duration.
// Usage: node record_chromium_webm.mjs <input.wav> <output.webm> <seconds> [mimeType]
// Needs Debian's chromium (/usr/bin/chromium) and playwright-core (NODE_PATH pointing at its node_modules).
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const [input, output, seconds = '3', mimeType = 'audio/webm;codecs=opus'] = process.argv.slice(2);

// getUserMedia needs a secure context; http://127.0.0.1 is one.
const server = createServer((_, res) => { res.setHeader('content-type', 'text/html'); res.end('<!doctype html><title>rec</title>'); });
await new Promise(r => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${input}`, '--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const base64 = await page.evaluate(async ({ ms, mimeType }) => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    const recorder = new MediaRecorder(stream, { mimeType });
    const parts = [];
    recorder.ondataavailable = e => parts.push(e.data);
    const stopped = new Promise(r => { recorder.onstop = r; });
    recorder.start(1000); // a timeslice, as live uploads use: the blob is the concatenation of the chunks
    await new Promise(r => setTimeout(r, ms));
    recorder.stop();
    stream.getTracks().forEach(t => t.stop());
    await stopped;
    const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, { ms: Number(seconds) * 1000, mimeType });
  writeFileSync(output, Buffer.from(base64, 'base64'));
  console.log(`${output}: ${Buffer.from(base64, 'base64').length} bytes from ${await browser.version()}`);
} finally {
  await browser.close();
  server.close();
}
