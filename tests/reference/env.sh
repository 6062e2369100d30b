# Points the fixture generators at exported work trees of the originals (never committed). Recreate them
# with tests/reference/setup_ref.sh (or by hand, see /work/shared/reference/README.md), then:
#   . tests/reference/env.sh && /usr/bin/python3 tests/reference/make_model_fixtures.py
REF=${REF:-/tmp/ref-lead}
export LATENTSYNC_SRC=$REF/LatentSync DIFFUSERS_SRC=$REF/diffusers HFHUB_SRC=$REF/hfhub EINOPS_SRC=$REF/einops
export PYTHONPATH=$REF/DeepCache${PYTHONPATH:+:$PYTHONPATH}
