export const placeholder = '@trainlytics/provider-strava';
