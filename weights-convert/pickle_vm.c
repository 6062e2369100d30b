// pickle_vm.c — a restricted unpickler for the state dicts torch.save writes (protocols 2-5). It knows the
// opcodes a state dict uses and only these globals: torch's tensor/parameter rebuild functions, the typed
// storages, collections.OrderedDict, and torch.Tensor / torch.nn.parameter.Parameter as types for
// _rebuild_from_type_v2. Any other global (os.system, builtins.eval, ...) is refused by name: loading
// never runs code. Objects live in a pool freed at once; stack, memo, nesting and object counts are all
// bounded, and every read is checked against the end of the input.
// Reference for the opcode semantics: CPython Lib/pickle.py (read, not copied). Fuzzed by
// tests/fuzz/fuzz_pickle.c; tested by tests/test_torch_checkpoint.c.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weights_convert.h"

#define MAX_STACK 100000
#define MAX_MEMO 10000000
#define MAX_DEPTH 200      // nesting of containers
#define MAX_OBJECTS 50000000

struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(16) uint8_t data[];
};

struct pickle {
    struct chunk *chunks;
    const struct pk_obj *root;
    size_t n_objects;
};

struct vm {
    pickle *p;
    const char *label;
    const uint8_t *b;
    size_t n, pos, op_pos;
    struct pk_obj **stack;
    size_t sp, stack_cap;
    size_t *marks; // stack heights at MARK
    size_t n_marks, marks_cap;
    struct pk_obj **memo;
    size_t memo_cap, memo_count; // memo_count: entries set (MEMOIZE stores at that index)
};

static void *pool_alloc(pickle *p, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (!p->chunks || p->chunks->cap - p->chunks->used < n) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        struct chunk *c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->next = p->chunks, c->used = 0, c->cap = cap;
        p->chunks = c;
    }
    void *r = p->chunks->data + p->chunks->used;
    p->chunks->used += n;
    return r;
}

void pickle_free(pickle *p) {
    if (!p) return;
    for (struct chunk *c = p->chunks, *next; c; c = next) next = c->next, free(c);
    free(p);
}

const struct pk_obj *pickle_root(const pickle *p) { return p->root; }

static ls_status fail(struct vm *v, const char *what) {
    return ls_fail(LS_ERR_INPUT, "%s: pickle opcode at byte %zu: %s", v->label, v->op_pos, what);
}

static struct pk_obj *new_obj(struct vm *v, pk_kind kind) {
    if (v->p->n_objects >= MAX_OBJECTS) return NULL;
    struct pk_obj *o = pool_alloc(v->p, sizeof *o);
    if (o) {
        memset(o, 0, sizeof *o);
        o->kind = kind;
        v->p->n_objects++;
    }
    return o;
}

static int depth(const struct pk_obj *o) { return o->depth; }

static ls_status push(struct vm *v, struct pk_obj *o) {
    if (!o) return ls_fail(LS_ERR_OOM, "%s: pickle: out of memory or more than %d objects", v->label, MAX_OBJECTS);
    if (v->sp == v->stack_cap) {
        if (v->stack_cap >= MAX_STACK) return fail(v, "stack deeper than the limit");
        size_t cap = v->stack_cap ? 2 * v->stack_cap : 256;
        struct pk_obj **s = realloc(v->stack, cap * sizeof *s);
        if (!s) return ls_fail(LS_ERR_OOM, "%s: pickle: out of memory", v->label);
        v->stack = s, v->stack_cap = cap;
    }
    v->stack[v->sp++] = o;
    return LS_OK;
}

static struct pk_obj *pop(struct vm *v) {
    if (v->sp == 0 || (v->n_marks && v->sp <= v->marks[v->n_marks - 1])) return NULL;
    return v->stack[--v->sp];
}

static struct pk_obj *top(struct vm *v) {
    if (v->sp == 0 || (v->n_marks && v->sp <= v->marks[v->n_marks - 1])) return NULL;
    return v->stack[v->sp - 1];
}

static bool need(struct vm *v, size_t k) { return v->n - v->pos >= k; }

static uint64_t rd_le(struct vm *v, int k) {
    uint64_t x = 0;
    for (int i = k - 1; i >= 0; i--) x = x << 8 | v->b[v->pos + (size_t)i];
    v->pos += (size_t)k;
    return x;
}

static ls_status push_string(struct vm *v, pk_kind kind, uint64_t len) {
    if (len > v->n - v->pos) return fail(v, "string runs past the end of the input");
    struct pk_obj *o = new_obj(v, kind);
    char *s = o ? pool_alloc(v->p, (size_t)len + 1) : NULL;
    if (!s) return ls_fail(LS_ERR_OOM, "%s: pickle: out of memory", v->label);
    memcpy(s, v->b + v->pos, (size_t)len);
    s[len] = '\0';
    v->pos += (size_t)len;
    o->s = s, o->n = (int64_t)len;
    return push(v, o);
}

// Items above the topmost MARK become a container; the mark is removed.
static ls_status take_marked(struct vm *v, struct pk_obj ***items, size_t *count) {
    if (!v->n_marks) return fail(v, "no MARK on the stack");
    size_t m = v->marks[--v->n_marks];
    *count = v->sp - m;
    *items = v->stack + m;
    v->sp = m;
    return LS_OK;
}

static struct pk_obj *make_seq(struct vm *v, pk_kind kind, struct pk_obj **items, size_t count) {
    struct pk_obj *o = new_obj(v, kind);
    if (!o) return NULL;
    o->items = pool_alloc(v->p, (count ? count : 1) * sizeof *o->items);
    if (!o->items) return NULL;
    int d = 0;
    for (size_t i = 0; i < count; i++) {
        o->items[i] = items[i];
        d = depth(items[i]) > d ? depth(items[i]) : d;
    }
    o->n = (int64_t)count;
    o->depth = d + 1;
    return o;
}

// Appends to a list, or sets key/value pairs in a dict, growing the item array in the pool.
static ls_status extend(struct vm *v, struct pk_obj *c, struct pk_obj **items, size_t count) {
    size_t per = c->kind == PK_DICT ? 2 : 1;
    if (count % per) return fail(v, "odd number of dict items");
    size_t have = (size_t)c->n * per, total = have + count;
    struct pk_obj **arr = pool_alloc(v->p, (total ? total : 1) * sizeof *arr);
    if (!arr) return ls_fail(LS_ERR_OOM, "%s: pickle: out of memory", v->label);
    if (have) memcpy(arr, c->items, have * sizeof *arr);
    int d = depth(c) - 1;
    for (size_t i = 0; i < count; i++) {
        arr[have + i] = items[i];
        d = depth(items[i]) > d ? depth(items[i]) : d;
    }
    if (d + 1 > MAX_DEPTH) return fail(v, "containers nested deeper than the limit");
    c->items = arr;
    c->n = (int64_t)(total / per);
    c->depth = d + 1;
    return LS_OK;
}

static const char *const allowed_globals[] = {
    "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state", "torch._tensor._rebuild_from_type_v2",
    "collections.OrderedDict", "torch.Tensor", "torch.nn.parameter.Parameter",
    "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage",
    "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
    "torch.BoolStorage",
};

static const struct {
    const char *name;
    st_dtype dt;
} storage_types[] = {
    {"torch.FloatStorage", ST_F32}, {"torch.HalfStorage", ST_F16}, {"torch.BFloat16Storage", ST_BF16},
    {"torch.DoubleStorage", ST_F64}, {"torch.LongStorage", ST_I64},   {"torch.IntStorage", ST_I32},
    {"torch.ShortStorage", ST_I16},  {"torch.CharStorage", ST_I8},    {"torch.ByteStorage", ST_U8},
    {"torch.BoolStorage", ST_BOOL},
};

static ls_status push_global(struct vm *v, const char *module, size_t mlen, const char *name, size_t nlen) {
    char full[256];
    if (mlen + nlen + 2 > sizeof full) return fail(v, "global name too long");
    memcpy(full, module, mlen);
    full[mlen] = '.';
    memcpy(full + mlen + 1, name, nlen);
    full[mlen + 1 + nlen] = '\0';
    for (size_t i = 0; i < sizeof allowed_globals / sizeof *allowed_globals; i++)
        if (!strcmp(full, allowed_globals[i])) {
            struct pk_obj *o = new_obj(v, PK_GLOBAL);
            if (o) o->s = allowed_globals[i];
            return push(v, o);
        }
    for (char *c = full; *c; c++)
        if ((unsigned char)*c < 0x20) *c = '?';
    return ls_fail(LS_ERR_INPUT, "%s: pickle global '%s' is not allowed (loading never runs code)", v->label, full);
}

static bool is_int_tuple(const struct pk_obj *o, int max) {
    if (!o || o->kind != PK_TUPLE || o->n > max) return false;
    for (int64_t i = 0; i < o->n; i++)
        if (o->items[i]->kind != PK_INT) return false;
    return true;
}

// torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, ...)
static ls_status rebuild_tensor(struct vm *v, const struct pk_obj *args, struct pk_obj **out) {
    if (args->n < 4 || args->items[0]->kind != PK_STORAGE || args->items[1]->kind != PK_INT ||
        !is_int_tuple(args->items[2], PK_MAX_DIMS) || !is_int_tuple(args->items[3], PK_MAX_DIMS) ||
        args->items[2]->n != args->items[3]->n)
        return fail(v, "_rebuild_tensor arguments are not (storage, offset, size, stride)");
    struct pk_obj *t = new_obj(v, PK_TENSOR);
    if (!t) return ls_fail(LS_ERR_OOM, "%s: pickle: out of memory", v->label);
    t->items = pool_alloc(v->p, sizeof *t->items);
    if (!t->items) return ls_fail(LS_ERR_OOM, "%s: pickle: out of memory", v->label);
    t->items[0] = args->items[0];
    t->offset = args->items[1]->i;
    t->n_dims = (int)args->items[2]->n;
    for (int d = 0; d < t->n_dims; d++) t->shape[d] = args->items[2]->items[d]->i, t->stride[d] = args->items[3]->items[d]->i;
    *out = t;
    return LS_OK;
}

static ls_status call(struct vm *v, const struct pk_obj *fn, const struct pk_obj *args, struct pk_obj **out) {
    if (fn->kind != PK_GLOBAL || args->kind != PK_TUPLE) return fail(v, "REDUCE on something that is not an allowed global");
    const char *f = fn->s;
    if (!strcmp(f, "torch._utils._rebuild_tensor_v2") || !strcmp(f, "torch._utils._rebuild_tensor"))
        return rebuild_tensor(v, args, out);
    if (!strcmp(f, "torch._utils._rebuild_parameter") || !strcmp(f, "torch._utils._rebuild_parameter_with_state")) {
        if (args->n < 1 || args->items[0]->kind != PK_TENSOR) return fail(v, "_rebuild_parameter without a tensor");
        *out = args->items[0];
        return LS_OK;
    }
    if (!strcmp(f, "torch._tensor._rebuild_from_type_v2")) { // (func, type, args, dict)
        if (args->n < 3 || args->items[0]->kind != PK_GLOBAL || args->items[1]->kind != PK_GLOBAL ||
            (strcmp(args->items[1]->s, "torch.Tensor") && strcmp(args->items[1]->s, "torch.nn.parameter.Parameter")))
            return fail(v, "_rebuild_from_type_v2 for a type other than Tensor or Parameter");
        return call(v, args->items[0], args->items[2], out);
    }
    if (!strcmp(f, "collections.OrderedDict")) {
        if (args->n != 0) return fail(v, "OrderedDict called with arguments");
        *out = make_seq(v, PK_DICT, NULL, 0);
        return *out ? LS_OK : ls_fail(LS_ERR_OOM, "%s: pickle: out of memory", v->label);
    }
    return ls_fail(LS_ERR_INPUT, "%s: pickle: '%s' cannot be called (loading never runs code)", v->label, f);
}

// BINPERSID: ('storage', storage_type, key, location, numel)
static ls_status persistent_load(struct vm *v, const struct pk_obj *pid, struct pk_obj **out) {
    if (pid->kind != PK_TUPLE || pid->n != 5 || pid->items[0]->kind != PK_STR || strcmp(pid->items[0]->s, "storage") ||
        pid->items[1]->kind != PK_GLOBAL || pid->items[2]->kind != PK_STR || pid->items[4]->kind != PK_INT ||
        pid->items[4]->i < 0)
        return fail(v, "persistent id is not ('storage', type, key, location, numel)");
    const char *type = pid->items[1]->s;
    for (size_t i = 0; i < sizeof storage_types / sizeof *storage_types; i++)
        if (!strcmp(type, storage_types[i].name)) {
            struct pk_obj *s = new_obj(v, PK_STORAGE);
            if (!s) return ls_fail(LS_ERR_OOM, "%s: pickle: out of memory", v->label);
            s->s = pid->items[2]->s;
            s->i = pid->items[4]->i;
            s->storage_dtype = (int)storage_types[i].dt;
            *out = s;
            return LS_OK;
        }
    return ls_fail(LS_ERR_INPUT, "%s: pickle: '%s' is not a storage type", v->label, type);
}

static ls_status memo_put(struct vm *v, uint64_t idx) {
    struct pk_obj *o = top(v);
    if (!o) return fail(v, "memo store with an empty stack");
    if (idx >= MAX_MEMO) return fail(v, "memo index above the limit");
    if (idx >= v->memo_cap) {
        size_t cap = v->memo_cap ? v->memo_cap : 1024;
        while (cap <= idx) cap *= 2;
        struct pk_obj **m = realloc(v->memo, cap * sizeof *m);
        if (!m) return ls_fail(LS_ERR_OOM, "%s: pickle: out of memory", v->label);
        memset(m + v->memo_cap, 0, (cap - v->memo_cap) * sizeof *m);
        v->memo = m, v->memo_cap = cap;
    }
    if (!v->memo[idx]) v->memo_count++;
    v->memo[idx] = o;
    return LS_OK;
}

static ls_status memo_get(struct vm *v, uint64_t idx) {
    if (idx >= v->memo_cap || !v->memo[idx]) return fail(v, "memo lookup of an unset index");
    return push(v, v->memo[idx]);
}

static ls_status step(struct vm *v, bool *done) {
    v->op_pos = v->pos;
    if (!need(v, 1)) return fail(v, "input ends before STOP");
    uint8_t op = v->b[v->pos++];
    struct pk_obj *a, *b, *o = NULL, **items = NULL;
    size_t count = 0;
    char msg[64];
    switch (op) {
    case 0x80: // PROTO
        if (!need(v, 1)) return fail(v, "truncated PROTO");
        if (v->b[v->pos] < 2 || v->b[v->pos] > 5) return fail(v, "pickle protocol outside 2..5");
        v->pos++;
        return LS_OK;
    case 0x95: // FRAME
        if (!need(v, 8)) return fail(v, "truncated FRAME");
        v->pos += 8;
        return LS_OK;
    case '.': *done = true; return LS_OK;
    case '(':
        if (v->n_marks == v->marks_cap) {
            if (v->marks_cap >= MAX_STACK) return fail(v, "too many MARKs");
            size_t cap = v->marks_cap ? 2 * v->marks_cap : 64;
            size_t *m = realloc(v->marks, cap * sizeof *m);
            if (!m) return ls_fail(LS_ERR_OOM, "%s: pickle: out of memory", v->label);
            v->marks = m, v->marks_cap = cap;
        }
        v->marks[v->n_marks++] = v->sp;
        return LS_OK;
    case '}': return push(v, make_seq(v, PK_DICT, NULL, 0));
    case ']': return push(v, make_seq(v, PK_LIST, NULL, 0));
    case ')': return push(v, make_seq(v, PK_TUPLE, NULL, 0));
    case 't':
        LS_TRY(take_marked(v, &items, &count));
        o = make_seq(v, PK_TUPLE, items, count);
        if (o && depth(o) > MAX_DEPTH) return fail(v, "containers nested deeper than the limit");
        return push(v, o);
    case 0x85: case 0x86: case 0x87: { // TUPLE1..3
        size_t k = (size_t)(op - 0x84);
        struct pk_obj *its[3];
        for (size_t i = k; i-- > 0;)
            if (!(its[i] = pop(v))) return fail(v, "TUPLE with too few items");
        o = make_seq(v, PK_TUPLE, its, k);
        if (o && depth(o) > MAX_DEPTH) return fail(v, "containers nested deeper than the limit");
        return push(v, o);
    }
    case 'l':
        LS_TRY(take_marked(v, &items, &count));
        return push(v, make_seq(v, PK_LIST, items, count));
    case 'd':
        LS_TRY(take_marked(v, &items, &count));
        o = make_seq(v, PK_DICT, NULL, 0);
        if (!o) return push(v, o);
        LS_TRY(extend(v, o, items, count));
        return push(v, o);
    case 'a':
        if (!(b = pop(v)) || !(a = top(v)) || a->kind != PK_LIST) return fail(v, "APPEND without a list");
        return extend(v, a, &b, 1);
    case 'e':
        LS_TRY(take_marked(v, &items, &count));
        if (!(a = top(v)) || a->kind != PK_LIST) return fail(v, "APPENDS without a list");
        return extend(v, a, items, count);
    case 's': {
        struct pk_obj *kv[2];
        if (!(kv[1] = pop(v)) || !(kv[0] = pop(v)) || !(a = top(v)) || a->kind != PK_DICT) return fail(v, "SETITEM without a dict");
        return extend(v, a, kv, 2);
    }
    case 'u':
        LS_TRY(take_marked(v, &items, &count));
        if (!(a = top(v)) || a->kind != PK_DICT) return fail(v, "SETITEMS without a dict");
        return extend(v, a, items, count);
    case 'J':
        if (!need(v, 4)) return fail(v, "truncated BININT");
        o = new_obj(v, PK_INT);
        if (o) o->i = (int32_t)rd_le(v, 4);
        else v->pos += 4;
        return push(v, o);
    case 'K':
        if (!need(v, 1)) return fail(v, "truncated BININT1");
        o = new_obj(v, PK_INT);
        if (o) o->i = (int64_t)rd_le(v, 1);
        return push(v, o);
    case 'M':
        if (!need(v, 2)) return fail(v, "truncated BININT2");
        o = new_obj(v, PK_INT);
        if (o) o->i = (int64_t)rd_le(v, 2);
        return push(v, o);
    case 0x8a: { // LONG1: little-endian two's complement, up to 8 bytes supported
        if (!need(v, 1)) return fail(v, "truncated LONG1");
        size_t k = v->b[v->pos++];
        if (!need(v, k)) return fail(v, "truncated LONG1");
        if (k > 8) return fail(v, "integer wider than 64 bits");
        uint64_t x = k ? rd_le(v, (int)k) : 0;
        if (k && k < 8 && (x >> (8 * k - 1)) & 1) x |= ~(uint64_t)0 << (8 * k); // sign-extend
        o = new_obj(v, PK_INT);
        if (o) o->i = (int64_t)x;
        return push(v, o);
    }
    case 'G': {
        if (!need(v, 8)) return fail(v, "truncated BINFLOAT");
        uint64_t x = 0;
        for (int i = 0; i < 8; i++) x = x << 8 | v->b[v->pos + (size_t)i]; // big-endian
        v->pos += 8;
        o = new_obj(v, PK_FLOAT);
        if (o) memcpy(&o->f, &x, 8);
        return push(v, o);
    }
    case 'N': return push(v, new_obj(v, PK_NONE));
    case 0x88: case 0x89:
        o = new_obj(v, PK_BOOL);
        if (o) o->i = op == 0x88;
        return push(v, o);
    case 'X': case 'B': case 'T':
        if (!need(v, 4)) return fail(v, "truncated string length");
        return push_string(v, op == 'B' ? PK_BYTES : PK_STR, rd_le(v, 4));
    case 0x8c: case 'C': case 'U':
        if (!need(v, 1)) return fail(v, "truncated string length");
        return push_string(v, op == 'C' ? PK_BYTES : PK_STR, rd_le(v, 1));
    case 0x8d: case 0x8e:
        if (!need(v, 8)) return fail(v, "truncated string length");
        return push_string(v, op == 0x8e ? PK_BYTES : PK_STR, rd_le(v, 8));
    case 'q':
        if (!need(v, 1)) return fail(v, "truncated BINPUT");
        return memo_put(v, rd_le(v, 1));
    case 'r':
        if (!need(v, 4)) return fail(v, "truncated LONG_BINPUT");
        return memo_put(v, rd_le(v, 4));
    case 0x94: return memo_put(v, v->memo_count); // MEMOIZE: index = number of memo entries so far
    case 'h':
        if (!need(v, 1)) return fail(v, "truncated BINGET");
        return memo_get(v, rd_le(v, 1));
    case 'j':
        if (!need(v, 4)) return fail(v, "truncated LONG_BINGET");
        return memo_get(v, rd_le(v, 4));
    case 'c': { // GLOBAL "module\nname\n"
        const uint8_t *s = v->b + v->pos, *end = v->b + v->n;
        const uint8_t *nl1 = memchr(s, '\n', (size_t)(end - s));
        const uint8_t *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
        if (!nl2) return fail(v, "truncated GLOBAL");
        v->pos = (size_t)(nl2 + 1 - v->b);
        return push_global(v, (const char *)s, (size_t)(nl1 - s), (const char *)nl1 + 1, (size_t)(nl2 - nl1 - 1));
    }
    case 0x93: // STACK_GLOBAL
        if (!(b = pop(v)) || !(a = pop(v)) || a->kind != PK_STR || b->kind != PK_STR) return fail(v, "STACK_GLOBAL without two strings");
        return push_global(v, a->s, (size_t)a->n, b->s, (size_t)b->n);
    case 'R':
        if (!(b = pop(v)) || !(a = pop(v))) return fail(v, "REDUCE with too few items");
        LS_TRY(call(v, a, b, &o));
        return push(v, o);
    case 'b': // BUILD: only empty states (OrderedDict(), tensors) carry no information we need
        if (!(b = pop(v)) || !top(v)) return fail(v, "BUILD with too few items");
        if (!(b->kind == PK_NONE || ((b->kind == PK_DICT || b->kind == PK_TUPLE) && b->n == 0) ||
              (top(v)->kind == PK_DICT && b->kind == PK_DICT)))
            return fail(v, "BUILD with a state this reader does not apply");
        if (top(v)->kind == PK_DICT && b->kind == PK_DICT && b->n) return extend(v, top(v), b->items, (size_t)b->n * 2);
        return LS_OK;
    case 'Q':
        if (!(a = pop(v))) return fail(v, "BINPERSID with an empty stack");
        LS_TRY(persistent_load(v, a, &o));
        return push(v, o);
    case '0':
        if (!pop(v)) return fail(v, "POP with an empty stack");
        return LS_OK;
    case '1':
        LS_TRY(take_marked(v, &items, &count));
        return LS_OK;
    case '2':
        if (!(a = top(v))) return fail(v, "DUP with an empty stack");
        return push(v, a);
    default:
        snprintf(msg, sizeof msg, "unknown or unsupported opcode 0x%02x", op);
        return fail(v, msg);
    }
}

ls_status pickle_load(pickle **out, const void *bytes, size_t n_bytes, const char *label) {
    *out = NULL;
    struct vm v = {.label = label, .b = bytes, .n = n_bytes};
    v.p = calloc(1, sizeof *v.p);
    if (!v.p) return ls_fail(LS_ERR_OOM, "%s: pickle: out of memory", label);
    ls_status st = LS_OK;
    bool done = false;
    while (!st && !done) st = step(&v, &done);
    if (!st && (v.sp != 1 || v.n_marks))
        st = ls_fail(LS_ERR_INPUT, "%s: pickle: STOP with %zu objects on the stack", label, v.sp);
    if (!st) v.p->root = v.stack[0];
    free(v.stack);
    free(v.marks);
    free(v.memo);
    if (st) {
        pickle_free(v.p);
        return st;
    }
    *out = v.p;
    return LS_OK;
}

const struct pk_obj *pk_dict_get(const struct pk_obj *dict, const char *key) {
    if (!dict || dict->kind != PK_DICT) return NULL;
    for (int64_t i = 0; i < dict->n; i++) {
        const struct pk_obj *k = dict->items[2 * i];
        if (k->kind == PK_STR && !strcmp(k->s, key)) return dict->items[2 * i + 1];
    }
    return NULL;
}
