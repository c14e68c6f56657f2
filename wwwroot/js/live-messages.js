// The messages of the live endpoint (/api/stream), as the service defines them (Rtser.Api.Live.LiveMessage):
// each server message is a JSON text frame whose "type" names one of these, with these fields.
// LiveMessageContractTests fails when this and the C# records differ, so change both together.
export const LIVE_MESSAGES = Object.freeze({
  ready: ['model', 'labels', 'sampleRate', 'windowSeconds', 'hopSeconds', 'adaptation'],
  reading: ['start', 'end', 'label', 'confidence', 'probabilities', 'audioSeconds', 'processingMs'],
  summary: ['label', 'confidence', 'probabilities', 'durationSeconds', 'speechSeconds', 'id', 'channel'],
  error: ['detail'],
});

// The one text message the page sends: it ends the stream and asks for the summary.
export const LIVE_STOP = 'stop';

/**
 * A server frame as a message the page knows, or null: not JSON, an unknown type, or a field missing (a service of
 * another version), so the page never reads an undefined field as a value.
 */
export function parseLiveMessage(text) {
  let m;
  try { m = JSON.parse(text); } catch { return null; }
  const fields = m && Object.hasOwn(LIVE_MESSAGES, m.type) ? LIVE_MESSAGES[m.type] : null;
  return fields && fields.every((f) => Object.hasOwn(m, f)) ? m : null;
}

export const stopMessage = () => JSON.stringify({ type: LIVE_STOP });
