// Calls to the RTSER service. Every failure becomes an ApiError whose message is the problem+json "detail"
// prefixed with a plain-language title for the status.

const TITLES = {
  400: 'The service could not read this input',
  401: 'This service needs an API key',
  404: 'Not found',
  413: 'The file is too large',
  415: 'This type of file is not supported',
  422: 'The audio cannot be analysed',
  429: 'Too many requests',
  503: 'The service is busy or not ready',
};

// The API key, when the service is configured to need one (Rtser:ApiKeys). Kept for this tab only.
const KEY_STORE = 'rtser.apiKey';
const unauthorizedListeners = [];

export const apiKey = {
  get() { return sessionStorage.getItem(KEY_STORE) ?? ''; },
  set(key) {
    if (key) sessionStorage.setItem(KEY_STORE, key);
    else sessionStorage.removeItem(KEY_STORE);
  },
  /** Called with the ApiError whenever the service answers 401, so the page can ask for a key. */
  onUnauthorized(listener) { unauthorizedListeners.push(listener); },
};

function headers(extra = {}) {
  const key = apiKey.get();
  return key ? { ...extra, 'X-Api-Key': key } : extra;
}

function failed(status, text) {
  const error = new ApiError(status, detailOf(status, text));
  if (status === 401) for (const l of unauthorizedListeners) l(error);
  return error;
}

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
    response = await fetch(url, { headers: headers({ Accept: 'application/json' }) });
  } catch {
    throw new ApiError(0, 'check your connection and that the service is running');
  }
  const text = await response.text();
  if (!response.ok) throw failed(response.status, text);
  return text ? JSON.parse(text) : null;
}

export async function deletePrediction(id) {
  let response;
  try {
    response = await fetch(`/api/predictions/${encodeURIComponent(id)}`, { method: 'DELETE', headers: headers() });
  } catch {
    throw new ApiError(0, 'check your connection and that the service is running');
  }
  if (!response.ok && response.status !== 404) throw failed(response.status, await response.text());
}

/**
 * DELETE /api/speakers/{speaker}/profile: erases the profile statistics kept with the speaker's predictions (the
 * predictions stay). Resolves with { speaker, recordings }, or null when the speaker has no profile.
 */
export async function forgetSpeakerProfile(speaker) {
  let response;
  try {
    response = await fetch(`/api/speakers/${encodeURIComponent(speaker)}/profile`,
      { method: 'DELETE', headers: headers({ Accept: 'application/json' }) });
  } catch {
    throw new ApiError(0, 'check your connection and that the service is running');
  }
  const text = await response.text();
  if (response.status === 404 && (response.headers.get('Content-Type') ?? '').includes('problem+json')) return null;
  if (!response.ok) throw failed(response.status, text);
  return JSON.parse(text);
}

/**
 * POST /api/predictions as multipart (field "file", and "language", "model" and "speaker" when given), reporting upload progress.
 * Resolves with the prediction; rejects with an ApiError (status 0 when the connection failed).
 */
export function postPrediction(blob, fileName, { language = '', model = '', speaker = '' } = {}, onProgress = () => {}) {
  const form = new FormData();
  form.append('file', blob, fileName);
  if (language) form.append('language', language);
  if (model) form.append('model', model);
  if (speaker) form.append('speaker', speaker);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/predictions');
    for (const [k, v] of Object.entries(headers({ Accept: 'application/json' }))) xhr.setRequestHeader(k, v);
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
        reject(failed(xhr.status, xhr.responseText));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'the upload was interrupted')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'the upload was cancelled')));
    xhr.send(form);
  });
}

/** Downloads an export with the API key header (a plain link cannot send it) under the service's file name. */
export async function download(url) {
  let response;
  try {
    response = await fetch(url, { headers: headers() });
  } catch {
    throw new ApiError(0, 'check your connection and that the service is running');
  }
  if (!response.ok) throw failed(response.status, await response.text());
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? 'predictions';
  const href = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/** The WebSocket URL for live mode (browsers cannot send headers there, so the key goes in the query). */
export function streamUrl(params) {
  const key = apiKey.get();
  if (key) params.set('key', key);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api/stream?${params}`;
}
