# Sourced by the scripts: creates (once) and activates tuitrain's development
# environment, cached outside the repo and keyed by what it was built from, so a
# second run on the same machine installs nothing.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python3}
key=$(cat "$repo_root/pyproject.toml" "$repo_root"/constraints/*.txt | sha256sum | cut -c1-16)
venv=${TUITRAIN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tuitrain/venv-dev-$key}
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    echo "creating the environment in $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q -e "$repo_root[dev]"
    touch "$venv/.complete"
fi
# The editable install points at whichever checkout built the venv: reinstall if it is not this one.
if ! "$venv/bin/python" -c "import tuitrain, sys; sys.exit(0 if tuitrain.__file__.startswith('$repo_root/') else 1)" 2>/dev/null; then
    "$venv/bin/pip" install -q --no-deps -e "$repo_root"
fi
export PATH="$venv/bin:$PATH"
export VIRTUAL_ENV="$venv"
