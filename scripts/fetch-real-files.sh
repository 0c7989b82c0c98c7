#!/usr/bin/env bash
# Fetches real, unmodified Debian config files for the tests that check remedy
# against what servers actually ship (they are not committed: licences, size,
# and they must match the packages of the day):
#   php.ini-production  (php<version>-common: usr/lib/php/<version>/)
#   apache2.conf        (apache2:             etc/apache2/)
#   000-default.conf    (apache2:             etc/apache2/sites-available/)
#   wp-settings.php     (wordpress:           usr/share/wordpress/)
#   sshd_config         (openssh-server:      usr/share/openssh/, what postinst installs)
#   ssh_config          (openssh-client:      etc/ssh/)
#   prometheus.yml      (prometheus:          etc/prometheus/)
#   composer.json       (prometheus:          a vendored web component's)
#   config.toml         (containerd:          etc/containerd/)
#   os-release          (base-files:          usr/lib/os-release, Debian's own)
# into $REMEDY_REAL_FILES (default: <repo>/.cache/real), with the package
# versions in VERSIONS. Does nothing when all of them are already there.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir=${REMEDY_REAL_FILES:-$repo_root/.cache/real}
wanted_files=(php.ini-production apache2.conf 000-default.conf wp-settings.php sshd_config ssh_config prometheus.yml composer.json config.toml os-release)
php_package_preferred=php8.2-common

fail() {
  echo "fetch-real-files: FAILED: $*" >&2
  exit 1
}

all_present() {
  local name
  for name in "${wanted_files[@]}" VERSIONS; do
    [[ -s $cache_dir/$name ]] || return 1
  done
}

if all_present; then
  echo "fetch-real-files: ok, already in $cache_dir ($(paste -sd ' ' "$cache_dir/VERSIONS"))"
  exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
  fail "apt-get and dpkg-deb are needed (a Debian-based system); set REMEDY_SKIP_REAL_FILES=1 to skip"

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/remedy-real-files.XXXXXX")
trap 'rm -rf "$work_dir"' EXIT
apt_log=$work_dir/apt.log

# As root, apt drops to the _apt user to download, which cannot write into our
# private temp dir; downloading as root avoids a warning and a fallback.
apt_options=(-q -o Dpkg::Use-Pty=0)
[[ $EUID -eq 0 ]] && apt_options+=(-o APT::Sandbox::User=root)

lists_updated=false
update_package_lists() {
  $lists_updated && return 1
  lists_updated=true
  local run_as_root=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || fail "apt's package lists are missing or stale and only root can run 'apt-get update'"
    run_as_root=(sudo -n)
  fi
  "${run_as_root[@]}" apt-get "${apt_options[@]}" update >>"$apt_log" 2>&1 ||
    fail "'apt-get update' failed (no network to the Debian mirrors?): $(grep -E '^(E|W):' "$apt_log" | tail -n 1)"
}

# The PHP minor version moves between Debian releases: prefer 8.2 (what the
# tests and examples describe), else the newest php<X.Y>-common there is.
package_has_candidate() {
  apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'
}
resolve_php_package() {
  if package_has_candidate "$php_package_preferred"; then
    echo "$php_package_preferred"
    return
  fi
  apt-cache search --names-only '^php[0-9]+\.[0-9]+-common$' 2>/dev/null | cut -d' ' -f1 | sort -V | tail -n 1
}
php_package=$(resolve_php_package)
if [[ -z $php_package ]]; then
  update_package_lists
  php_package=$(resolve_php_package)
  [[ -n $php_package ]] || fail "no php<version>-common package is known to apt (apt-cache search '^php[0-9.]+-common\$' is empty)"
fi
packages=("$php_package" apache2 wordpress openssh-server openssh-client prometheus containerd base-files)

# Missing or stale lists show up as "Unable to locate package" or a 404: an
# 'apt-get update' fixes both, so it is tried once, and only then.
download_packages() {
  (cd "$work_dir" && apt-get "${apt_options[@]}" download "${packages[@]}") >>"$apt_log" 2>&1
}
if ! download_packages && ! { update_package_lists && download_packages; }; then
  fail "'apt-get download ${packages[*]}' failed: $(grep -E '^(E|W):' "$apt_log" | tail -n 1)"
fi

mkdir -p "$work_dir/root"
for deb in "$work_dir"/*.deb; do
  dpkg-deb -x "$deb" "$work_dir/root"
done

# One path per file; the php one is globbed because its directory is the version.
find_in_packages() {
  local pattern=$1 matches
  # shellcheck disable=SC2206 # the glob is the point
  matches=($work_dir/root/$pattern)
  [[ ${#matches[@]} -eq 1 && -f ${matches[0]} ]] ||
    fail "expected exactly one $pattern in ${packages[*]}, found: ${matches[*]}"
  echo "${matches[0]}"
}

mkdir -p "$cache_dir"
# Copy under temporary names, then rename: an interrupted run never leaves a
# truncated file that the next run would take for a complete one, and two test
# runs fetching at once (the names carry the pid) never mix their copies.
copy_into_cache() {
  local source=$1 name=$2
  cp "$source" "$cache_dir/.$name.partial.$$"
  mv -f "$cache_dir/.$name.partial.$$" "$cache_dir/$name"
}
php_ini=$(find_in_packages 'usr/lib/php/*/php.ini-production')
apache_conf=$(find_in_packages etc/apache2/apache2.conf)
wp_settings=$(find_in_packages usr/share/wordpress/wp-settings.php)
copy_into_cache "$php_ini" php.ini-production
copy_into_cache "$apache_conf" apache2.conf
copy_into_cache "$wp_settings" wp-settings.php
copy_into_cache "$(find_in_packages etc/apache2/sites-available/000-default.conf)" 000-default.conf
copy_into_cache "$(find_in_packages usr/share/openssh/sshd_config)" sshd_config
copy_into_cache "$(find_in_packages etc/ssh/ssh_config)" ssh_config
copy_into_cache "$(find_in_packages etc/prometheus/prometheus.yml)" prometheus.yml
copy_into_cache "$(find_in_packages usr/share/prometheus/web/static/vendor/bootstrap3-typeahead/composer.json)" composer.json
copy_into_cache "$(find_in_packages etc/containerd/config.toml)" config.toml
copy_into_cache "$(find_in_packages usr/lib/os-release)" os-release

for deb in "$work_dir"/*.deb; do
  dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb"
done >"$work_dir/VERSIONS"
copy_into_cache "$work_dir/VERSIONS" VERSIONS

echo "fetch-real-files: ok, fetched into $cache_dir ($(paste -sd ' ' "$cache_dir/VERSIONS"))"
