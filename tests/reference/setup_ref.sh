#!/bin/sh
# setup_ref.sh — exports work trees of the original projects from already-fetched git dirs into $REF
# (default /tmp/ref), where tests/reference/env.sh points the fixture generators. Nothing exported here is
# ever committed to this repository. Each tree gets a .ref_commit file, which generators record.
#
# usage: REF=/tmp/ref tests/reference/setup_ref.sh GIT_LATENTSYNC GIT_DIFFUSERS GIT_HFHUB GIT_EINOPS [GIT_DEEPCACHE]
#   GIT_* are git dirs (bare or not) of bytedance/LatentSync, huggingface/diffusers, huggingface/huggingface_hub,
#   arogozhnikov/einops and, for make_model_fixtures.py only, horseee/DeepCache.
# then:  REF=/tmp/ref . tests/reference/env.sh && /usr/bin/python3 tests/reference/check_env.py
set -eu
REF=${REF:-/tmp/ref}

if [ $# -lt 4 ] || [ $# -gt 5 ]; then
    echo "usage: REF=DIR $0 GIT_LATENTSYNC GIT_DIFFUSERS GIT_HFHUB GIT_EINOPS [GIT_DEEPCACHE]" >&2
    exit 2
fi

export_tree() { # git_dir rev dest [paths...]
    g=$1 rev=$2 out=$3
    shift 3
    rm -rf "$out"
    mkdir -p "$out"
    git -C "$g" archive -o "$out.tar" "$rev" "$@" # a file, not a pipe: a failed archive stops the script
    tar -x -C "$out" -f "$out.tar"
    rm -f "$out.tar"
    git -C "$g" rev-parse "$rev^{commit}" >"$out/.ref_commit"
    echo "$out <- $(cat "$out/.ref_commit") ($rev)"
}

export_tree "$1" HEAD "$REF/LatentSync" latentsync configs # not assets/: mirrors may lack their large blobs
export_tree "$2" v0.32.2 "$REF/diffusers" src # LatentSync pins diffusers 0.32.2; newer ones need torch >= 2.6
export_tree "$3" v0.30.2 "$REF/hfhub" src
export_tree "$4" HEAD "$REF/einops" einops
if [ $# -eq 5 ]; then export_tree "$5" HEAD "$REF/DeepCache" DeepCache; fi
