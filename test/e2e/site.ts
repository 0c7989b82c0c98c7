import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The founding incident in miniature: a WordPress-like site whose wp-settings.php
 * requires `wp-includes/class-wp-locale.phpp` (typo for .php), so every page is a
 * PHP fatal error, which Apache answers with HTTP 500 while display_errors is Off.
 */

export const INCIDENT_MARKER = '<h1>Hello from the incident site</h1>';
export const SETTINGS_FILE = 'wp-settings.php';
export const LOCALE_FILE = 'wp-includes/class-wp-locale.php';
export const TYPO_REQUIRE = "require ABSPATH . WPINC . '/class-wp-locale.phpp';";
export const FIXED_REQUIRE = "require ABSPATH . WPINC . '/class-wp-locale.php';";
/** Reports the PHP settings the tests depend on, as JSON. */
export const PROBE_PATH = '/harness-probe.php';

const LOCALE_STATEMENT = '$wp_locale = new WP_Locale();';

const INDEX_SOURCE = `<?php
/** Front controller: loads the environment, like WordPress's index.php -> wp-load.php. */
define( 'ABSPATH', __DIR__ . '/' );
require ABSPATH . '${SETTINGS_FILE}';
`;

const SETTINGS_SOURCE = `<?php
/** Sets up the site, like WordPress's wp-settings.php (trimmed to the incident's lines). */
define( 'WPINC', 'wp-includes' );

${TYPO_REQUIRE}

${LOCALE_STATEMENT}

echo "<!DOCTYPE html>\\n<html><body>\\n${INCIDENT_MARKER}\\n<p>locale: " . $wp_locale->locale . "</p>\\n</body></html>\\n";
`;

const LOCALE_SOURCE = `<?php
/** Locale API, like WordPress's class-wp-locale.php. */
class WP_Locale {
	public $locale = 'en_US';
}
`;

const PROBE_SOURCE = `<?php
$status = function_exists( 'opcache_get_status' ) ? opcache_get_status( false ) : false;
header( 'Content-Type: application/json' );
echo json_encode( array(
	'sapi'                   => PHP_SAPI,
	'php_ini'                => php_ini_loaded_file(),
	'display_errors'         => ini_get( 'display_errors' ),
	'log_errors'             => ini_get( 'log_errors' ),
	'expose_php'             => ini_get( 'expose_php' ),
	'memory_limit'           => ini_get( 'memory_limit' ),
	'upload_max_filesize'    => ini_get( 'upload_max_filesize' ),
	'post_max_size'          => ini_get( 'post_max_size' ),
	'date_timezone'          => ini_get( 'date.timezone' ),
	'opcache_enabled'        => is_array( $status ) && $status['opcache_enabled'],
	'revalidate_freq'        => ini_get( 'opcache.revalidate_freq' ),
	'validate_timestamps'    => ini_get( 'opcache.validate_timestamps' ),
	'file_update_protection' => ini_get( 'opcache.file_update_protection' ),
) );
`;

/** What harness-probe.php answers. */
export interface RuntimeProbe {
  sapi: string;
  php_ini: string | false;
  display_errors: string;
  log_errors: string;
  expose_php: string;
  memory_limit: string;
  upload_max_filesize: string;
  post_max_size: string;
  date_timezone: string;
  opcache_enabled: boolean;
  revalidate_freq: string;
  validate_timestamps: string;
  file_update_protection: string;
}

/**
 * Writes the broken site (or with `fixed`, the site as it was before the typo)
 * into docRoot and dates its files an hour back, as on a
 * site deployed long ago: opcache (file_update_protection=2) will not cache a file
 * younger than 2 s, and fresh files would hide the caching the incident had.
 */
export function writeIncidentSite(docRoot: string, { fixed = false }: { fixed?: boolean } = {}): void {
  const files: Record<string, string> = {
    'index.php': INDEX_SOURCE,
    [SETTINGS_FILE]: fixed ? SETTINGS_SOURCE.replace(TYPO_REQUIRE, FIXED_REQUIRE) : SETTINGS_SOURCE,
    [LOCALE_FILE]: LOCALE_SOURCE,
    [PROBE_PATH.slice(1)]: PROBE_SOURCE,
  };
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(docRoot, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    replaceFileAtomically(file, content);
  }
  ageSiteFiles(docRoot);
}

/** The fix remedy is meant to make: `.phpp` -> `.php` in wp-settings.php, written atomically. */
export function fixLocaleTypo(docRoot: string): void {
  editSettings(docRoot, TYPO_REQUIRE, FIXED_REQUIRE);
}

/** A change that breaks every page: drops a semicolon, so wp-settings.php no longer parses. */
export function introduceSyntaxError(docRoot: string): void {
  editSettings(docRoot, LOCALE_STATEMENT, LOCALE_STATEMENT.slice(0, -1));
}

/** Undoes introduceSyntaxError. */
export function repairSyntaxError(docRoot: string): void {
  editSettings(docRoot, `${LOCALE_STATEMENT.slice(0, -1)}\n`, `${LOCALE_STATEMENT}\n`);
}

/** Dates every file below docRoot `secondsAgo` back (see writeIncidentSite for why). */
export function ageSiteFiles(docRoot: string, secondsAgo = 3600): void {
  const when = new Date(Date.now() - secondsAgo * 1000);
  for (const rel of fs.readdirSync(docRoot, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(docRoot, rel);
    if (fs.statSync(file).isFile()) fs.utimesSync(file, when, when);
  }
}

/** Temp file in the same directory + rename: Apache never sees a half-written file. */
export function replaceFileAtomically(file: string, content: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temp, content);
  fs.chmodSync(temp, 0o644); // readable by www-data whatever the umask
  fs.renameSync(temp, file);
}

function editSettings(docRoot: string, from: string, to: string): void {
  const file = path.join(docRoot, SETTINGS_FILE);
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
  replaceFileAtomically(file, text.replace(from, to));
}
