# Sourced: ML_PY=<python of a cached environment for a framework> (yolo|detr|rave).
# Environments live outside the repo, keyed by their constraints file, so a second
# run on the same machine installs nothing; a fresh machine builds them by itself.
set -euo pipefail
ml_env() {
    local which=$1 repo_root constraints key venv
    repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    case "$which" in
        yolo|detr) constraints="$repo_root/constraints/torch-cuda.txt"
                   pkgs=(ultralytics transformers pytorch-lightning scipy) ;;
        rave) constraints="$repo_root/constraints/rave.txt"
              pkgs=(torch==2.11.0 torchaudio==2.11.0 acids-rave "setuptools<81") ;;
        *) echo "unknown environment $which" >&2; return 2 ;;
    esac
    [ "$which" = detr ] && which=yolo  # one torch 2.14.1 environment serves both
    key=$(printf '%s\n' "${pkgs[@]}" | cat - "$constraints" | sha256sum | cut -c1-16)
    venv=${XDG_CACHE_HOME:-$HOME/.cache}/tuitrain/venv-$which-$key
    if [ ! -f "$venv/.complete" ]; then
        echo "installing the $which environment in $venv (several minutes, about 5 GB)" >&2
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --upgrade pip
        "$venv/bin/pip" install -q -c "$constraints" "${pkgs[@]}"
        touch "$venv/.complete"
    fi
    ML_PY="$venv/bin/python"
    export ML_PY
}
