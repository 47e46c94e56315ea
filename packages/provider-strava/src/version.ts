/** The package version, sent in the user agent. Replaced at release by changesets. */
export const VERSION = '0.1.0';
