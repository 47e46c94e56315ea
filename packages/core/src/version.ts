/** The version of `@trainlytics/core`, sent in the user agent of every provider request. */
export const VERSION: string = '0.1.0';
