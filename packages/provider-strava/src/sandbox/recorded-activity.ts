import type { SandboxRecording, SandboxStreamsControl } from '@trainlytics/core/testing';
import type { ActivityPatch, AthleteStore } from './athlete-store';
import { generateStreams, recordedSamples } from './generate-streams';

/**
 * The detail suite's control (`runProviderDetailSuite`): adds an activity uploaded now whose recording is
 * outdoor, indoor or manual (`recordingPatch`), and says what its generated streams hold. Strava delivers
 * by pull: no `deliverRequestedStreams`.
 */
export function streamsControl(athletes: AthleteStore): SandboxStreamsControl {
  let recordings = 0;
  return {
    addRecordedActivity: async (providerUserId, { recording }) => {
      const [id] = athletes.addUploadedNow(providerUserId, 1) as [string];
      athletes.update(providerUserId, id, recordingPatch(recording, id, recordings++));
      const activity = athletes.activity(providerUserId, id)!;
      return { providerActivityId: id, recorded: recordedSamples(generateStreams(activity)) };
    },
  };
}

/**
 * The edit that turns an activity uploaded now into the detail suite's recording (`k` counts recordings
 * made): outdoor (a run or a ride alternately, GPS, heart rate on two in three), indoor (a trainer ride,
 * no GPS) or manual (a run, no GPS, no heart rate: no streams).
 */
export function recordingPatch(recording: SandboxRecording, id: string, k: number): ActivityPatch {
  const sport = recording === 'outdoor' && k % 2 === 0 ? 'Run' : 'Ride';
  const noGps = {
    start_latlng: [],
    end_latlng: [],
    map: { id: `a${id}`, summary_polyline: '', resource_state: 2 },
  };
  const patches: Record<SandboxRecording, ActivityPatch> = {
    outdoor: {
      sport_type: sport,
      type: sport,
      trainer: false,
      manual: false,
      has_heartrate: k % 3 !== 2,
      start_latlng: [48.85, 2.35],
    },
    indoor: { sport_type: 'Ride', type: 'Ride', trainer: true, manual: false, has_heartrate: true, ...noGps },
    manual: { sport_type: 'Run', type: 'Run', trainer: false, manual: true, has_heartrate: false, ...noGps },
  };
  return patches[recording];
}
