/**
 * `/interaction/<uid>[/<step>]?client_id=…`. The client id rides along in every interaction URL so
 * that a page whose interaction has expired can still name the app and link back to it.
 */
export function interactionUrl(uid: string, clientId: unknown, step = ''): string {
  const query = typeof clientId === 'string' && clientId ? `?client_id=${encodeURIComponent(clientId)}` : '';
  return `/interaction/${encodeURIComponent(uid)}${step ? `/${step}` : ''}${query}`;
}
