#!/usr/bin/env bash
# Installs postgresql-client-<major> from apt.postgresql.org for
# the major version of every server named in $DATABASES, or for $POSTGRES_MAJOR.
# A server that cannot be reached is reported and skipped: the job itself then fails
# with its own one-line error and hint.
set -euo pipefail

majors=()
if [ -n "${POSTGRES_MAJOR:-}" ]; then
  majors=("$POSTGRES_MAJOR")
else
  command -v psql >/dev/null || { sudo apt-get update -qq && sudo apt-get install -y -qq postgresql-client >/dev/null; }
  for name in $DATABASES; do
    var="$(printf '%s' "$name" | tr '[:lower:]-' '[:upper:]_')_DATABASE_URL"
    url="${!var:-}"
    if [ -z "$url" ]; then
      echo "::warning title=envsync setup::$var is not set: cannot match the PostgreSQL client to the $name server"
      continue
    fi
    # The URL stays in the environment: psql gets it as PGHOST/PGPASSWORD/…, never in argv.
    if major=$(node --import tsx "$(dirname "$0")/server-major.ts" "$var" 2>/dev/null); then
      echo "$name: PostgreSQL $major"
      majors+=("$major")
    else
      echo "::warning title=envsync setup::could not reach the $name database to read its version; the job will report why"
    fi
  done
fi

pgdg_added=false
for major in $(printf '%s\n' "${majors[@]}" | sort -un); do
  if [ -x "/usr/lib/postgresql/$major/bin/pg_dump" ]; then
    echo "PostgreSQL $major client: already installed"
    continue
  fi
  if [ "$pgdg_added" = false ]; then
    # apt.postgresql.org has every supported major for every Ubuntu release (and runs apt-get update).
    sudo apt-get install -y -qq postgresql-common >/dev/null
    sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y >/dev/null
    pgdg_added=true
  fi
  sudo apt-get install -y -qq "postgresql-client-$major" >/dev/null
  "/usr/lib/postgresql/$major/bin/pg_dump" --version
done
