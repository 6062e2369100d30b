#!/usr/bin/env bash
# `latentsync inspect` on every malformed file: exit status 1, exactly one line on stderr naming the file,
# nothing on stdout; on a good file: exit 0. Usage: inspect_bad_files.sh LATENTSYNC DATA_DIR
set -u
exe=$1 data=$2 fail=0
while IFS=$'\t' read -r name fragment; do
    f="$data/safetensors_bad/$name.safetensors"
    out=$("$exe" inspect "$f" 2>/tmp/ls_inspect_err.$$) ; rc=$?
    err=$(cat /tmp/ls_inspect_err.$$)
    lines=$(printf '%s\n' "$err" | wc -l)
    if [[ $rc -ne 1 || -n "$out" || $lines -ne 1 || "$err" != *"$name"* || "$err" != *"$fragment"* ]]; then
        echo "FAIL $name: rc=$rc stdout='$out' stderr='$err'"; fail=1
    fi
done < "$data/safetensors_bad/expected.txt"
rm -f /tmp/ls_inspect_err.$$
"$exe" inspect "$data/models/vae_io.safetensors" >/dev/null || { echo "FAIL: good file rejected"; fail=1; }
"$exe" inspect >/dev/null 2>&1; [[ $? -eq 2 ]] || { echo "FAIL: missing argument is not a usage error"; fail=1; }
"$exe" inspect --json "$data/models/vae_io.safetensors" | grep -q '"count":4' || { echo "FAIL: --json"; fail=1; }
[[ $fail -eq 0 ]] && echo "ok: inspect on $(wc -l < "$data/safetensors_bad/expected.txt") bad files"
exit $fail
