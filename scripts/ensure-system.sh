#!/usr/bin/env bash
# Installs the Debian packages opsportal needs beside its Python dependencies, and only those
# missing: Redis (broker), PostgreSQL server binaries (the test suite runs against a throwaway
# cluster), Chromium (browser tests drive /usr/bin/chromium, never a downloaded browser), the
# Pango libraries and DejaVu fonts WeasyPrint renders PDFs with.
# Runs unattended (no stdin), as root or through sudo. `apt-get update` only when something is missing.
set -euo pipefail

missing=()

package_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

postgres_bindir() {
    # Prints the directory holding initdb/pg_ctl, or fails.
    local dir
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        # Follow symlinks (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb) to the
        # directory that also holds postgres, createdb and psql.
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

if [ "${1:-}" = "--postgres-bindir" ]; then
    # Used by scripts/test-services.sh so both agree on where PostgreSQL lives.
    postgres_bindir
    exit $?
fi

command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
postgres_bindir >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
package_installed fonts-dejavu-core || missing+=(fonts-dejavu-core)
package_installed libpango-1.0-0 || missing+=(libpango-1.0-0)
package_installed libpangoft2-1.0-0 || missing+=(libpangoft2-1.0-0)
# runuser/setpriv start PostgreSQL as an unprivileged user when the tests run as root.
command -v setpriv >/dev/null 2>&1 || command -v runuser >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system: missing ${missing[*]} and there is no apt-get here; install them by hand." >&2
    exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo -n)
    else
        echo "ensure-system: missing ${missing[*]}; run as root or install sudo." >&2
        exit 1
    fi
fi

echo "ensure-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" </dev/null

if ! postgres_bindir >/dev/null; then
    echo "ensure-system: PostgreSQL was installed but initdb/pg_ctl are still not found." >&2
    exit 1
fi
