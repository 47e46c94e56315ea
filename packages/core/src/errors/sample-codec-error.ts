import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/**
 * `encodeSamples` was given streams whose channels do not line up with `time`, or `decodeSamples` bytes that
 * are truncated, corrupt or of an unknown version. Nothing was written (encode) or returned (decode).
 */
export class SampleCodecError extends TrainlyticsError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super('SampleCodecError', message, options);
  }
  static override isInstance(error: unknown): error is SampleCodecError {
    return isNamedError(error, 'SampleCodecError');
  }
}
