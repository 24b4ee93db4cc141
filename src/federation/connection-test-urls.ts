/** Where a connection's test sign-in starts (with its ticket) and, under `/result`, shows what the upstream sent. */
export const connectionTestUrl = (connectionId: string) => `/federation/test/${encodeURIComponent(connectionId)}`;
