export type * from './conformance-sandbox';
export { FakeClock } from '../runtime/clock';
