#!/usr/bin/env bash
# Create/update the project's virtual environment (.venv) with everything
# beamnet-lava needs. Idempotent: does nothing when pyproject.toml and this
# script are unchanged since the last successful install.
#
# Python 3.10: a plain editable install (lava-nc/lava-dl install normally).
# Python 3.11: lava-nc 0.10 / lava-dl 0.6 declare Requires-Python <3.11 and pin
# torch<2.4, so their wheels go in with --no-deps --ignore-requires-python and
# their real runtime needs come from pyproject.toml (see docs/INSTALL.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
stamp="$VENV/.beamnet-install"
want=$(cat pyproject.toml scripts/install.sh | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/beamnet-lava" ]; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
py="$VENV/bin/python"
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
pipq() { "$py" -m pip install --disable-pip-version-check -q "$@" 2>&1 \
           | grep -v -e "^WARNING: Location" -e "dependency conflicts" -e "^lava-dl .* requires" \
                     -e "^ERROR: pip's dependency resolver" || true; }
echo "beamnet-lava: installing into $VENV (Python $ver) ..."
case "$ver" in
  3.10)
    pipq -e ".[test]" ;;
  3.11)
    if [ "$(uname -m)" = "aarch64" ]; then torch="torch==2.9.1 torchvision==0.24.1";
    else torch="torch==2.14.1 torchvision==0.29.1"; fi
    # shellcheck disable=SC2086
    pipq $torch "numpy>=1.24.4,<2"
    pipq --no-deps --ignore-requires-python "lava-nc==0.10.0" "lava-dl==0.6.0"
    pipq -e ".[test]" ;;
  *)
    echo "beamnet-lava needs Python 3.10 or 3.11 (lava-nc 0.10); found $ver" >&2; exit 1 ;;
esac
# fail here, not later, if the stack does not import
"$py" -c "import beamnet_lava; from beamnet_lava._quiet import import_slayer; import_slayer(); import lava.lib.dl.netx, lava.proc.lif.process" \
  || { echo "beamnet-lava: install finished but lava/lava-dl do not import" >&2; exit 1; }
echo "$want" > "$stamp"
echo "beamnet-lava: environment ready ($VENV)"
