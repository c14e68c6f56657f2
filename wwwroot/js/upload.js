// Upload: file picker and drag-and-drop, upload progress, then the result.
import { postPrediction } from './api.js';
import { showResult } from './result.js';

const $ = (id) => document.getElementById(id);

export function initUpload(page) {
  const drop = $('drop');
  const input = $('file');
  const progress = $('upload-progress');
  const bar = $('upload-bar');
  const label = $('upload-progress-label');
  let busy = false;

  async function send(file) {
    if (busy || !file) return;
    page.clearError();
    const speaker = page.speaker();
    if (speaker === null) {
      input.value = '';
      return;
    }
    busy = true;
    progress.hidden = false;
    bar.value = 0;
    label.textContent = `Uploading ${file.name}…`;
    drop.setAttribute('aria-busy', 'true');
    try {
      const { language, model } = page;
      const prediction = await postPrediction(file, file.name, { language, model, speaker }, (f) => {
        bar.value = Math.round(f * 100);
        label.textContent = f < 1 ? `Uploading ${file.name}: ${Math.round(f * 100)} %` : `Analysing ${file.name}…`;
      });
      showResult(prediction, { audio: file, source: file.name, labels: page.labels(prediction.model), model: page.describe(prediction.model) });
      page.history.first();
    } catch (e) {
      page.showError(`${file.name}: ${e.message}`);
    } finally {
      progress.hidden = true;
      drop.removeAttribute('aria-busy');
      input.value = '';
      busy = false;
    }
  }

  input.addEventListener('change', () => send(input.files[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer.files[0];
    if (file) send(file);
  });
}
