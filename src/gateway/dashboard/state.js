// What the page knows beyond its DOM, shared by its parts and, for tests, window.__dashboard:
// { snapshots, lastSnapshot, events, connection, dropped }.

export const dash = { snapshots: 0, lastSnapshot: null, events: [], connection: 'connecting', dropped: 0 };
window.__dashboard = dash;
