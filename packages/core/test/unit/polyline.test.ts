import { encodePolyline } from '@trainlytics/core';
import { describe, expect, it } from 'vitest';

describe('encodePolyline', () => {
  it("encodes Google's documented example", () => {
    // https://developers.google.com/maps/documentation/utilities/polylinealgorithm
    expect(
      encodePolyline([
        [38.5, -120.2],
        [40.7, -120.95],
        [43.252, -126.453],
      ]),
    ).toBe('_p~iF~ps|U_ulLnnqC_mqNvxq`@');
  });

  it('encodes no points as an empty line and rounds to 1e-5 degrees', () => {
    expect(encodePolyline([])).toBe('');
    expect(encodePolyline([[38.500004, -120.200004]])).toBe(encodePolyline([[38.5, -120.2]]));
  });
});
