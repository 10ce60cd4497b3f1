"""The small POSIX ``sh`` scripts run on an SSH host. Each is sent as one quoted
argument of ``sh -c`` with its inputs as further arguments (never pasted into the
script), so no value is ever parsed by a shell.

They recognise a process exactly as the local executor does: pid, start time in clock
ticks from ``/proc/PID/stat`` (``ticks:N``) and the boot id, so a reused pid or a
reboot on the host is never mistaken for the run.
"""

from __future__ import annotations

# Prints "BOOT STATE TICKS" for pid $1 ("none" for a missing field). The command name
# in /proc/PID/stat may hold spaces: everything up to the last ")" is dropped.
_IDENTITY = r"""
identity() {
    boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo noboot)
    stat=$(cat "/proc/$1/stat" 2>/dev/null)
    rest=${stat##*")"}
    set -- $rest
    printf '%s %s %s\n' "$boot" "${1:-none}" "${20:-none}"
}
"""

# $1 home probe, then `command -v` of $2 (or -x test when it holds a "/").
CHECK = r"""
printf 'HOME %s\n' "$HOME"
case $1 in
    */*) [ -f "$1" ] && [ -x "$1" ] && echo FOUND || { [ -e "$1" ] && echo NOTEXEC || echo MISSING; } ;;
    *) command -v "$1" >/dev/null 2>&1 && echo FOUND || echo MISSING ;;
esac
"""

# $1 run folder, $2 working directory, then the whole command to start detached:
# `env K=V... sh -c WRAPPER tuitrain-run RUN_DIR ARGV...`. Waits until the wrapper has
# written its pid (its traps are set), then prints "STARTED PID BOOT STATE TICKS".
LAUNCH = (
    _IDENTITY
    + r"""
run_dir=$1; cwd=$2; shift 2
mkdir -p "$run_dir" || { echo "ERROR cannot create the run folder $run_dir"; exit 0; }
cd "$cwd" 2>/dev/null || { echo "ERROR no such working directory: $cwd"; exit 0; }
command -v setsid >/dev/null 2>&1 || { echo "ERROR setsid not found on the host (util-linux)"; exit 0; }
setsid "$@" </dev/null >>"$run_dir/output.log" 2>&1 &
child=$!
i=0
while [ ! -f "$run_dir/pid" ] && [ $i -lt 1000 ]; do
    kill -0 "$child" 2>/dev/null || break
    sleep 0.01; i=$((i + 1))
done
pid=$(cat "$run_dir/pid" 2>/dev/null || echo "$child")
printf 'STARTED %s ' "$pid"
identity "$pid"
"""
)

# $1 pid: "BOOT STATE TICKS".
PROBE = _IDENTITY + 'identity "$1"\n'

# $1 pid, $2 pgid, $3 expected "ticks:N", $4 expected boot id, $5 signal name:
# signals the group only if the leader is still that process; prints SENT or NONE.
SIGNAL = (
    _IDENTITY
    + r"""
set -- "$1" "$2" "$3" "$4" "$5" $(identity "$1")
if [ "$6" = "$4" ] && [ "$7" != none ] && [ "$7" != Z ] && [ "ticks:$8" = "$3" ] \
    && kill -s "$5" -- "-$2" 2>/dev/null; then
    echo SENT
else
    echo NONE
fi
"""
)

# $1 run folder: "CODE MTIME" once the wrapper wrote the exit code, else nothing.
EXIT_CODE = r"""
f="$1/exit_code"
[ -f "$f" ] || exit 0
code=$(cat "$f") && printf '%s %s\n' "$code" "$(date -r "$f" +%s 2>/dev/null || stat -c %Y "$f")"
"""

# $1 folder: every file under it as "SIZE MTIME PATH\0" (GNU find).
LIST = r"""
[ -d "$1" ] || exit 0
find "$1" -type f -printf '%s %T@ %p\0'
"""

# $1 path, $2 offset, $3 size: those bytes (nothing when the file does not exist).
READ_AT = r"""
[ -f "$1" ] || exit 0
tail -c "+$(($2 + 1))" "$1" | head -c "$3"
"""

# $1 path: its size, or "none".
SIZE = r"""
if [ -f "$1" ]; then wc -c < "$1"; else echo none; fi
"""

# $1 folder, $2 name: stdin into FOLDER/NAME, atomically.
WRITE = r"""
mkdir -p "$1" && cat > "$1/.$2.tmp" && mv -f "$1/.$2.tmp" "$1/$2"
"""
