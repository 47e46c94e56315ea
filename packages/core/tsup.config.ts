import { packageBuild } from '../../config/tsup.js';

export default packageBuild([
  'src/index.ts',
  'src/postgres/index.ts',
  'src/supabase/index.ts',
  'src/testing/index.ts',
]);
