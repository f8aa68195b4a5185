#!/usr/bin/env bash
# The commands of a fresh machine (see README):
#   bash run.sh demo   set up, then audit the sample reports (generated, plus ../shared/seeds if present)
#                      into the embedded SQLite corpus ./ogi.db and print the results
#   bash run.sh lint   set up, then run the static checks (ruff lint and format, mypy): .ci/lint
#   bash run.sh test   set up everything the tests need, run the static checks, then the whole test suite on
#                      Python 3.11 (.venv) and again on 3.13 (.venv-3.13) when the machine has it;
#                      arguments after "test" go to pytest
set -euo pipefail
cd "$(dirname "$0")"

run_tests() {  # run_tests VENV [pytest arguments]: fails on failures and when no test ran (pytest's exit 5)
  local venv=$1 status=0
  echo "[ogi test] $("$venv/bin/python" --version) ($venv)"
  "$venv/bin/python" -m pytest -p no:cacheprovider "${@:2}" || status=$?
  if [ $status = 5 ]; then
    echo "[ogi test] 没有运行任何测试 (pytest collected no tests)" >&2
  fi
  return $status
}

case "${1:-demo}" in
  demo)
    bash .ci/setup
    exec .venv/bin/ogi demo "${@:2}"
    ;;
  lint)
    bash .ci/setup
    exec bash .ci/lint
    ;;
  test)
    bash .ci/setup --test
    [ -f .ci/pg.env ] && . .ci/pg.env
    export OGI_PG_URL=${OGI_PG_URL:-}
    bash .ci/lint
    run_tests .venv "${@:2}"
    if [ -x .venv-3.13/bin/python ]; then
      run_tests .venv-3.13 "${@:2}"
    fi
    ;;
  *)
    echo "用法: bash run.sh demo | lint | test" >&2; exit 2 ;;
esac
