export const placeholder = '@trainlytics/migrations';
