/**
 * URL policy for anything a session document carries that the UI may turn into a link or a
 * fetch. Documents are untrusted (they arrive as files and share links), so a note's markdown
 * is stored raw and sanitised at render time; every href the renderer emits must come from
 * `safeHref`, which is what keeps `javascript:` (and `data:`, `vbscript:`, …) links from ever
 * being rendered.
 */

// The URL parser drops ASCII tab and newline anywhere and trims C0 controls and spaces at the
// ends, so "java\tscript:" means "javascript:". Normalise the same way before looking at the
// scheme, or the check could be walked around.
function normaliseLikeUrlParser(url: string): string | null {
  const stripped = url.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  // Any other control character left inside is never legitimate in a link.
  if (/[\u0000-\u001f\u007f]/.test(stripped)) return null;
  return stripped;
}

/**
 * The scheme of `url` in lower case, `''` for a relative reference, or `null` when the text
 * has a colon before any `/`, `?` or `#` but no well-formed scheme (e.g. `java script:`), which
 * we refuse rather than guess how a browser would read it.
 */
function schemeOf(url: string): string | null {
  const beforePathOrQuery = url.split(/[/?#\\]/, 1)[0]!;
  const colon = beforePathOrQuery.indexOf(':');
  if (colon === -1) return '';
  const scheme = beforePathOrQuery.slice(0, colon);
  return /^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(scheme) ? scheme.toLowerCase() : null;
}

const LINK_SCHEMES = new Set(['http', 'https', 'mailto']);
const FETCH_SCHEMES = new Set(['http', 'https']);

/**
 * The href to render for a link found in user content, or `null` when it must not be rendered
 * as a link. Allows http(s), mailto and relative references; everything else (javascript:,
 * data:, vbscript:, file:, blob:, …) is refused.
 */
export function safeHref(url: string): string | null {
  const normalised = normaliseLikeUrlParser(url);
  if (normalised === null || normalised === '') return null;
  const scheme = schemeOf(normalised);
  if (scheme === null) return null;
  if (scheme === '' || LINK_SCHEMES.has(scheme)) return normalised;
  return null;
}

/** True for URLs a model may be fetched from: absolute http(s) or relative to the app. */
export function isFetchableModelUrl(url: string): boolean {
  const normalised = normaliseLikeUrlParser(url);
  if (normalised === null || normalised === '' || normalised !== url) return false;
  const scheme = schemeOf(normalised);
  return scheme === '' || (scheme !== null && FETCH_SCHEMES.has(scheme));
}
