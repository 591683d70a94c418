#!/usr/bin/env bash
# Marketing.Sdk build entry point.
#   ./build.sh test        build (warnings as errors) and run every test project, with a throwaway
#                          PostgreSQL server on loopback and Debian's Chromium for the dashboard's
#                          browser tests (installed when missing); prints "N passed, N failed, N skipped".
#   ./build.sh quickstart  run the QuickStart sample (embedded SQLite default).
#   ./build.sh bench [BenchmarkDotNet args]   run benchmarks in Release (with the same throwaway
#                          PostgreSQL server unless MARKETING_SDK_TEST_POSTGRES is set).
#   ./build.sh docs        build the documentation site (DocFX, warnings as errors) into artifacts/docs/_site.
#   ./build.sh pack        pack every shipped package (one version, symbols) into artifacts/packages.
#   ./build.sh api-baseline  write the public API the build refuses as undeclared (RS0016/RS0017) into each
#                          package's PublicAPI.Unshipped.txt (eng/api-baseline.sh); review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

PG_DIR=""
PG_BIN=""

as_postgres() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  if [ -n "${MARKETING_SDK_TEST_POSTGRES:-}" ]; then
    echo "Using PostgreSQL from MARKETING_SDK_TEST_POSTGRES"; return
  fi
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    echo "Installing PostgreSQL server (Debian package)..."
    local SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=900 postgresql >/dev/null
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  PG_DIR=$(mktemp -d /tmp/marketing-sdk-pg.XXXXXX)
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$PG_DIR"; fi
  chmod 700 "$PG_DIR"
  as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-k $PG_DIR -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres marketing
  export MARKETING_SDK_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=marketing"
  echo "Started throwaway PostgreSQL on 127.0.0.1:$port"
  trap stop_postgres EXIT
}

stop_postgres() {
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}

ensure_chromium() {
  # The dashboard's and the documentation site's browser tests drive Debian's Chromium headless
  # (Playwright's own browser download is not reachable from CI).
  if [ -n "${MARKETING_SDK_CHROMIUM:-}" ] && [ -x "$MARKETING_SDK_CHROMIUM" ]; then return; fi
  if [ -x /usr/bin/chromium ]; then return; fi
  echo "Installing Chromium (Debian package) for the browser tests..."
  local SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=900 chromium >/dev/null
}

build_docs() {
  # API metadata from the src projects, then the site; any warning (a broken link, a missing snippet
  # region, an unresolved cross-reference) fails the build.
  dotnet tool restore >/dev/null
  dotnet docfx metadata docs/docfx.json --warningsAsErrors
  dotnet docfx build docs/docfx.json --warningsAsErrors "$@"
}

summarize() {
  # Sum the per-project "Passed!/Failed!  - Failed: n, Passed: n, Skipped: n" lines of dotnet test; a
  # test run aborted (a test host that hung past the blame timeout, or crashed) counts as one failure.
  grep -E '^[[:space:]]*(Passed|Failed)!|^Test Run Aborted' "$1" | awk '/^Test Run Aborted/{f++; next} {for(i=1;i<=NF;i++){v=$(i+1); gsub(",","",v); if($i=="Failed:")f+=v; if($i=="Passed:")p+=v; if($i=="Skipped:")s+=v}} END{printf "%d passed, %d failed, %d skipped\n",p,f,s}'
}

cmd=${1:-test}
case "$cmd" in
  test)
    ensure_chromium
    dotnet tool restore
    start_postgres
    log=$(mktemp /tmp/marketing-sdk-test.XXXXXX.log)
    set +e
    dotnet test Marketing.Sdk.sln -c Release --logger "console;verbosity=minimal" \
      --blame-hang-timeout 10m --blame-hang-dump-type none 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    line=$(summarize "$log")
    echo "$line"
    passed=$(echo "$line" | awk '{print $1}')
    if [ "$rc" -ne 0 ]; then exit "$rc"; fi
    if [ "${passed:-0}" -eq 0 ]; then echo "No test ran." >&2; exit 1; fi
    ;;
  quickstart)
    dotnet run --project samples/QuickStart -c Release -- "${@:2}"
    ;;
  bench)
    start_postgres
    dotnet run --project tests/Marketing.Sdk.Benchmarks -c Release -- "${@:2}"
    ;;
  docs)
    build_docs "${@:2}"
    echo "Site: artifacts/docs/_site/index.html"
    ;;
  pack)
    rm -rf artifacts/packages
    dotnet pack eng/pack.proj -c Release -o artifacts/packages -nologo "${@:2}"
    ls artifacts/packages
    ;;
  api-baseline)
    eng/api-baseline.sh
    ;;
  *)
    echo "usage: ./build.sh [test|quickstart|bench|docs|pack|api-baseline]" >&2; exit 2 ;;
esac
