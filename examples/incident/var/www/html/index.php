<?php
/**
 * Front to the WordPress application. In WordPress this file loads
 * wp-blog-header.php, which loads wp-config.php and then wp-settings.php;
 * this trimmed tree skips the database and goes straight to wp-settings.php.
 *
 * @package WordPress
 */

/** Absolute path to the WordPress directory. */
define( 'ABSPATH', __DIR__ . '/' );

require_once ABSPATH . 'wp-settings.php';

global $wp_locale, $wp_version;
?>
<!DOCTYPE html>
<html lang="en-US">
<head><title>Just another WordPress site</title></head>
<body>
<h1>Hello world!</h1>
<p>Welcome to WordPress <?php echo htmlspecialchars( $wp_version ); ?>. It is <?php echo $wp_locale->get_month( gmdate( 'm' ) ); ?>.</p>
</body>
</html>
