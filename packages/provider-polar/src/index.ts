export const placeholder = '@trainlytics/provider-polar';
