/** remedy's version, in a module of its own so that `remedy --version` loads nothing else. */
export const VERSION: string = require('../../package.json').version;
