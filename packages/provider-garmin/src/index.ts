export const placeholder = '@trainlytics/provider-garmin';
