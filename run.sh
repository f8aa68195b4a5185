#!/usr/bin/env bash
# The two commands of a fresh machine (see README):
#   bash run.sh demo   set up, then audit the sample reports (generated, plus ../shared/seeds if present)
#                      into the embedded SQLite corpus ./ogi.db and print the results
#   bash run.sh test   set up everything the tests need, then run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-demo}" in
  demo)
    bash .ci/setup
    exec .venv/bin/ogi demo "${@:2}"
    ;;
  test)
    bash .ci/setup --test
    [ -f .ci/pg.env ] && . .ci/pg.env
    export OGI_PG_URL=${OGI_PG_URL:-}
    exec .venv/bin/python -m pytest -p no:cacheprovider "${@:2}"
    ;;
  *)
    echo "用法: bash run.sh demo | test" >&2; exit 2 ;;
esac
