export const placeholder = '@trainlytics/core';
