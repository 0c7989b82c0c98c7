/** remedy's version, from package.json (bundled into dist/remedy.js by the build). */
export const VERSION: string = require('../../package.json').version;
