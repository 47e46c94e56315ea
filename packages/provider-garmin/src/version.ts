/** The version of `@trainlytics/provider-garmin`. */
export const VERSION: string = '0.1.0';
