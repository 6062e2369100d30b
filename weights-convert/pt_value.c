// pt_value.c — read-only access to the unpickled object tree of a checkpoint: kinds, scalars, containers,
// dotted-path lookups ("dims.n_mels", "global_step") and typed getters with one-line errors.
#include <string.h>

#include "weights-convert-impl.h"

pt_kind pt_value_kind(const pt_value *v) { return v->kind; }

bool pt_value_bool(const pt_value *v, bool *out) {
    if (v->kind != PT_KIND_BOOL) return false;
    *out = v->u.b;
    return true;
}

bool pt_value_int(const pt_value *v, int64_t *out) {
    if (v->kind == PT_KIND_INT)
        *out = v->u.i;
    else if (v->kind == PT_KIND_BOOL)
        *out = v->u.b;
    else
        return false;
    return true;
}

bool pt_value_float(const pt_value *v, double *out) {
    if (v->kind == PT_KIND_FLOAT)
        *out = v->u.f;
    else if (v->kind == PT_KIND_INT)
        *out = (double)v->u.i;
    else
        return false;
    return true;
}

const char *pt_value_str(const pt_value *v) { return v->kind == PT_KIND_STR ? v->u.str.s : NULL; }

static bool is_container(const pt_value *v) {
    return v->kind == PT_KIND_TUPLE || v->kind == PT_KIND_LIST || v->kind == PT_KIND_DICT;
}

size_t pt_value_len(const pt_value *v) {
    if (!is_container(v)) return 0;
    return v->kind == PT_KIND_DICT ? v->u.seq.n / 2 : v->u.seq.n;
}

const pt_value *pt_value_item(const pt_value *v, size_t i) {
    if (i >= pt_value_len(v)) return NULL;
    return v->kind == PT_KIND_DICT ? v->u.seq.items[2 * i + 1] : v->u.seq.items[i];
}

const pt_value *pt_value_key(const pt_value *v, size_t i) {
    if (v->kind != PT_KIND_DICT || i >= pt_value_len(v)) return NULL;
    return v->u.seq.items[2 * i];
}

// The last matching key wins, as it does when Python builds the dict.
const pt_value *pt_dict_get(const pt_value *dict, const char *key) {
    const pt_value *found = NULL;
    size_t n = strlen(key);
    for (size_t i = 0; dict->kind == PT_KIND_DICT && i + 1 < dict->u.seq.n; i += 2) {
        const pt_value *k = dict->u.seq.items[i];
        if (k->kind == PT_KIND_STR && k->u.str.n_bytes == n && !memcmp(k->u.str.s, key, n))
            found = dict->u.seq.items[i + 1];
    }
    return found;
}

const pt_value *pt_lookup(const pt_file *f, const char *dotted) {
    const pt_value *v = pt_root(f);
    const char *rest = dotted;
    size_t n_rest = strlen(rest);
    while (v && n_rest) {
        if (v->kind != PT_KIND_DICT) return NULL;
        // A key equal to the whole rest wins; else the longest key followed by '.'.
        const pt_value *whole = NULL, *part = NULL;
        size_t part_len = 0;
        for (size_t i = 0; i + 1 < v->u.seq.n; i += 2) {
            const pt_value *k = v->u.seq.items[i];
            if (k->kind != PT_KIND_STR) continue;
            size_t kn = k->u.str.n_bytes;
            if (kn == n_rest && !memcmp(k->u.str.s, rest, kn))
                whole = v->u.seq.items[i + 1];
            else if (kn < n_rest && rest[kn] == '.' && !memcmp(k->u.str.s, rest, kn) && kn >= part_len)
                part = v->u.seq.items[i + 1], part_len = kn;
        }
        if (whole) return whole;
        if (!part) return NULL;
        v = part, rest += part_len + 1, n_rest -= part_len + 1;
    }
    return v;
}

static ls_status get(const pt_file *f, const char *dotted, pt_kind want, const pt_value **out) {
    char shown[120];
    const pt_value *v = pt_lookup(f, dotted);
    if (v && (v->kind == want || (want == PT_KIND_FLOAT && v->kind == PT_KIND_INT) ||
              (want == PT_KIND_INT && v->kind == PT_KIND_BOOL))) {
        *out = v;
        return LS_OK;
    }
    wc_printable(shown, sizeof shown, dotted);
    if (!v) return ls_fail(LS_ERR_INPUT, "%s: no '%s' in the checkpoint", pt_label(f), shown);
    return ls_fail(LS_ERR_INPUT, "%s: '%s' is %s %s, expected %s %s", pt_label(f), shown, pt_kind_article(v->kind),
                   pt_kind_name(v->kind), pt_kind_article(want), pt_kind_name(want));
}

ls_status pt_get_int(const pt_file *f, const char *dotted, int64_t *out) {
    const pt_value *v = NULL;
    LS_TRY(get(f, dotted, PT_KIND_INT, &v));
    pt_value_int(v, out);
    return LS_OK;
}

ls_status pt_get_float(const pt_file *f, const char *dotted, double *out) {
    const pt_value *v = NULL;
    LS_TRY(get(f, dotted, PT_KIND_FLOAT, &v));
    pt_value_float(v, out);
    return LS_OK;
}

ls_status pt_get_str(const pt_file *f, const char *dotted, const char **out) {
    const pt_value *v = NULL;
    LS_TRY(get(f, dotted, PT_KIND_STR, &v));
    *out = v->u.str.s;
    return LS_OK;
}
