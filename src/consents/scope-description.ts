import { hasMessage } from '../ui/i18n.ts';

export type ScopeDescription = { messageKey: string } | { text: string };

/** A scope as a message key where we describe it, as its name otherwise. */
export function describeScopes(scopes: Iterable<string>): ScopeDescription[] {
  return [...new Set(scopes)].map((scope) => (hasMessage(`scope.${scope}`) ? { messageKey: `scope.${scope}` } : { text: scope }));
}
