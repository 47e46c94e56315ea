import { FakeClock as TestingFakeClock } from '../testing/fake-clock';

/**
 * @deprecated Import `FakeClock` from `@trainlytics/core/testing`: the main entry stops exporting it in the next
 * minor version.
 */
export const FakeClock: typeof TestingFakeClock = TestingFakeClock;
/** @deprecated Import `FakeClock` from `@trainlytics/core/testing`. */
export type FakeClock = TestingFakeClock;
