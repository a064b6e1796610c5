# Helpers shared by the scripts in scripts/. Source this file; do not run it.
# shellcheck shell=bash

is_root() {
    [ "$(id -u)" = 0 ]
}

# Succeed when this machine can install Debian packages right now.
can_apt_install() {
    is_root && command -v apt-get >/dev/null 2>&1
}

_APT_UPDATED=0

# apt-get install PACKAGE..., refreshing the package lists once per script run.
apt_install() {
    if [ "$_APT_UPDATED" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# Print the directory holding initdb and pg_ctl, or return 1 when there is none.
# Looks at pg_config first, then Debian's versioned directories (newest first),
# then PATH.
pg_find_bindir() {
    local candidates=() dir
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        [ -n "$dir" ] && candidates+=("$dir")
    fi
    if [ -d /usr/lib/postgresql ]; then
        while IFS= read -r dir; do
            candidates+=("$dir")
        done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null \
            | sort -t/ -k4,4 -V -r)
    fi
    if command -v initdb >/dev/null 2>&1; then
        candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
    fi
    for dir in ${candidates[@]+"${candidates[@]}"}; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done
    return 1
}

# Print the path of a PostgreSQL client program, preferring BINDIR over PATH.
pg_tool() {
    local name="$1" bindir="${2:-}"
    if [ -n "$bindir" ] && [ -x "$bindir/$name" ]; then
        printf '%s\n' "$bindir/$name"
    elif command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
    else
        return 1
    fi
}

# pg_server_answers HOST PORT [BINDIR]
# Succeed when a PostgreSQL server at HOST:PORT lets "postgres" in without a
# password.
pg_server_answers() {
    local host="$1" port="$2" bindir="${3:-}" pg_isready psql
    pg_isready="$(pg_tool pg_isready "$bindir")" || return 1
    psql="$(pg_tool psql "$bindir")" || return 1
    "$pg_isready" -q -h "$host" -p "$port" -U postgres -d postgres -t 5 >/dev/null 2>&1 || return 1
    PGCONNECT_TIMEOUT=5 "$psql" -X -q -A -t -w \
        "postgresql://postgres@$host:$port/postgres" -c 'select 1' >/dev/null 2>&1
}
