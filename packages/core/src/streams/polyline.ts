/**
 * Google's encoded polyline algorithm (precision 5, as Strava's `map.polyline` and `ActivityRoute`):
 * each coordinate rounded to 1e-5 degrees, written as the zig-zag difference from the previous point in
 * 5-bit chunks offset by 63. https://developers.google.com/maps/documentation/utilities/polylinealgorithm
 */
export function encodePolyline(points: ReadonlyArray<readonly [number, number]>): string {
  let out = '';
  let previousLat = 0;
  let previousLng = 0;
  for (const [lat, lng] of points) {
    const scaledLat = Math.round(lat * 1e5);
    const scaledLng = Math.round(lng * 1e5);
    out += encodeValue(scaledLat - previousLat) + encodeValue(scaledLng - previousLng);
    previousLat = scaledLat;
    previousLng = scaledLng;
  }
  return out;
}

function encodeValue(delta: number): string {
  let v = delta < 0 ? ~(delta << 1) : delta << 1;
  let out = '';
  while (v >= 0x20) {
    out += String.fromCharCode((0x20 | (v & 0x1f)) + 63);
    v >>= 5;
  }
  return out + String.fromCharCode(v + 63);
}
