'use strict';
// Preloaded (node --require) into a remedy process under test: at exit it writes the
// process's peak resident set size in KiB to the file named by REMEDY_MAX_RSS_FILE.
process.on('exit', () => {
  require('node:fs').writeFileSync(process.env.REMEDY_MAX_RSS_FILE, String(process.resourceUsage().maxRSS));
});
