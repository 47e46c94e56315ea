/** The version of `@trainlytics/provider-polar`, sent in the user agent of webhook management calls. */
export const VERSION: string = '0.1.0';
