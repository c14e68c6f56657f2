// Calls to the RTSER service. Every failure becomes an ApiError whose message is the problem+json "detail"
// prefixed with a plain-language title for the status.

const TITLES = {
  400: 'The service could not read this input',
  404: 'Not found',
  413: 'The file is too large',
  415: 'This type of file is not supported',
  422: 'The audio cannot be analysed',
  503: 'The service is not ready',
};

export class ApiError extends Error {
  constructor(status, detail) {
    const title = TITLES[status] ?? (status === 0 ? 'The service cannot be reached' : `The service answered ${status}`);
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.detail = detail;
  }
}

function detailOf(status, text) {
  if (!text) return '';
  try {
    const body = JSON.parse(text);
    return body.detail ?? body.title ?? '';
  } catch {
    return status >= 500 ? '' : text.slice(0, 300);
  }
}

export async function getJson(url) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: 'application/json' } });
  } catch {
    throw new ApiError(0, 'check your connection and that the service is running');
  }
  const text = await response.text();
  if (!response.ok) throw new ApiError(response.status, detailOf(response.status, text));
  return text ? JSON.parse(text) : null;
}

export async function deletePrediction(id) {
  let response;
  try {
    response = await fetch(`/api/predictions/${encodeURIComponent(id)}`, { method: 'DELETE' });
  } catch {
    throw new ApiError(0, 'check your connection and that the service is running');
  }
  if (!response.ok && response.status !== 404) throw new ApiError(response.status, detailOf(response.status, await response.text()));
}

/**
 * POST /api/predictions as multipart (field "file", and "model" when chosen), reporting upload progress.
 * Resolves with the prediction; rejects with an ApiError (status 0 when the connection failed).
 */
export function postPrediction(blob, fileName, model, onProgress = () => {}) {
  const form = new FormData();
  form.append('file', blob, fileName);
  if (model) form.append('model', model);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/predictions');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.upload.addEventListener('load', () => onProgress(1));
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch {
          reject(new ApiError(xhr.status, 'the answer was not JSON'));
        }
      } else {
        reject(new ApiError(xhr.status, detailOf(xhr.status, xhr.responseText)));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'the upload was interrupted')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'the upload was cancelled')));
    xhr.send(form);
  });
}
