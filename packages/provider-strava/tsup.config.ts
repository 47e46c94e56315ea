import { packageBuild } from '../../config/tsup.js';

export default packageBuild(['src/index.ts', 'src/sandbox/index.ts']);
