/**
 * Absolute links for mail, always built from the configured issuer: never from the request's Host
 * header, which anyone can forge to have a reset link point at their own server.
 */
export function publicLink(issuer: string, path: string, params: Record<string, string | undefined> = {}): string {
  const url = new URL(`${issuer}${path}`);
  for (const [name, value] of Object.entries(params)) if (value) url.searchParams.set(name, value);
  return url.toString();
}
