import { packageBuild } from '../../config/tsup.js';

// `./sandbox` is built from src/sandbox.ts (the sandbox of src/sandbox/ bound to the plugin) to dist/sandbox/
export default packageBuild({ index: 'src/index.ts', 'sandbox/index': 'src/sandbox.ts' });
