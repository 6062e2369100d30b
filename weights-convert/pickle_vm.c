// pickle_vm.c — a restricted unpickler for the data.pkl of PyTorch checkpoints (Python's pickle protocols
// 2-5; the opcode meanings follow CPython's Lib/pickle.py and Lib/pickletools.py, written anew here). It
// knows only the opcodes a state dict uses and only these globals: torch._utils._rebuild_tensor_v2,
// _rebuild_tensor, _rebuild_parameter, _rebuild_parameter_with_state, collections.OrderedDict and the typed
// storages torch.<Type>Storage (as persistent ids). "Calling" one of them builds a plain object (a dict, a
// tensor reference); any other global is refused by name, so loading never runs code. Every resource is
// bounded (stack, marks, memo, nesting, string sizes, objects) and each bound is a one-line error.
// Fuzzed by tests/fuzz/fuzz_pickle.c; tested by tests/test_torch_checkpoint.c.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weights-convert-impl.h"

#define CHUNK_OBJECTS 4096

struct pk_chunk {
    pk_chunk *next;
    size_t used;
    struct pk_obj objs[CHUNK_OBJECTS];
};

typedef struct reader {
    pk_vm *vm;
    const uint8_t *data;
    size_t n_bytes, pos;
    size_t op_pos; // where the current opcode started (for messages)
    uint8_t op;
    size_t n_memo_set; // MEMOIZE's index: how many slots were ever written (CPython uses len(memo))
} reader;

static ls_status fail(const reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ls_status fail(const reader *r, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ls_fail(LS_ERR_INPUT, "%s: pickle: %s (opcode 0x%02x at byte %zu)", r->vm->label, msg, r->op, r->op_pos);
}

const char *pt_kind_name(pt_kind kind) {
    static const char *const names[] = {"None",  "bool", "int",  "float",  "str",     "bytes",
                                        "tuple", "list", "dict", "tensor", "storage", "global"};
    return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

const char *pt_kind_article(pt_kind kind) { return kind == PT_KIND_INT ? "an" : "a"; }

// --- objects -------------------------------------------------------------------------------------------------

static ls_status new_obj(reader *r, pt_kind kind, struct pk_obj **out) {
    pk_vm *vm = r->vm;
    if (vm->n_objects >= PK_MAX_OBJECTS) return fail(r, "more than %d objects", PK_MAX_OBJECTS);
    if (!vm->chunks || vm->chunks->used == CHUNK_OBJECTS) {
        pk_chunk *c = malloc(sizeof *c);
        if (!c) return ls_fail(LS_ERR_OOM, "%s: pickle: no memory for objects", vm->label);
        c->next = vm->chunks, c->used = 0;
        vm->chunks = c;
    }
    struct pk_obj *o = &vm->chunks->objs[vm->chunks->used++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->depth = 1;
    vm->n_objects++;
    *out = o;
    return LS_OK;
}

static void free_obj(struct pk_obj *o) {
    switch (o->kind) {
    case PT_KIND_STR:
    case PT_KIND_BYTES: free(o->u.str.s); break;
    case PT_KIND_TUPLE:
    case PT_KIND_LIST:
    case PT_KIND_DICT: free(o->u.seq.items); break;
    case PT_KIND_STORAGE: free(o->u.storage.key); break;
    case PT_KIND_TENSOR: free(o->u.tensor); break;
    default: break;
    }
}

void pk_free(pk_vm *vm) {
    for (pk_chunk *c = vm->chunks, *next; c; c = next) {
        next = c->next;
        for (size_t i = 0; i < c->used; i++)
            free_obj(&c->objs[i]);
        free(c);
    }
    free(vm->stack);
    free(vm->marks);
    free(vm->memo);
    *vm = (pk_vm){0};
}

static ls_status seq_push(reader *r, struct pk_obj *seq, struct pk_obj *item) {
    if (seq->u.seq.n == seq->u.seq.cap) {
        size_t cap = seq->u.seq.cap ? 2 * seq->u.seq.cap : 8;
        struct pk_obj **items = realloc(seq->u.seq.items, cap * sizeof *items);
        if (!items)
            return ls_fail(LS_ERR_OOM, "%s: pickle: no memory for a %zu-item %s", r->vm->label, cap,
                           pt_kind_name(seq->kind));
        seq->u.seq.items = items, seq->u.seq.cap = cap;
    }
    seq->u.seq.items[seq->u.seq.n++] = item;
    if (item->depth + 1 > seq->depth) seq->depth = item->depth + 1;
    if (seq->depth > PK_MAX_NESTING) return fail(r, "containers nested deeper than %d levels", PK_MAX_NESTING);
    return LS_OK;
}

// --- stack, marks, memo ------------------------------------------------------------------------------------

static size_t mark_base(const pk_vm *vm) { return vm->n_marks ? vm->marks[vm->n_marks - 1] : 0; }

static ls_status push(reader *r, struct pk_obj *o) {
    pk_vm *vm = r->vm;
    if (vm->n_stack == vm->cap_stack) {
        if (vm->cap_stack >= PK_MAX_STACK) return fail(r, "stack deeper than %d items", PK_MAX_STACK);
        size_t cap = vm->cap_stack ? 2 * vm->cap_stack : 64;
        if (cap > PK_MAX_STACK) cap = PK_MAX_STACK;
        struct pk_obj **s = realloc(vm->stack, cap * sizeof *s);
        if (!s) return ls_fail(LS_ERR_OOM, "%s: pickle: no memory for the stack", vm->label);
        vm->stack = s, vm->cap_stack = cap;
    }
    vm->stack[vm->n_stack++] = o;
    return LS_OK;
}

static ls_status pop(reader *r, struct pk_obj **out) {
    pk_vm *vm = r->vm;
    if (vm->n_stack <= mark_base(vm)) return fail(r, "stack underflow");
    *out = vm->stack[--vm->n_stack];
    return LS_OK;
}

static ls_status top(reader *r, struct pk_obj **out) {
    pk_vm *vm = r->vm;
    if (vm->n_stack <= mark_base(vm)) return fail(r, "stack underflow");
    *out = vm->stack[vm->n_stack - 1];
    return LS_OK;
}

// Ends the innermost MARK: the items pushed since are stack[*start .. vm->n_stack).
static ls_status pop_mark(reader *r, size_t *start) {
    pk_vm *vm = r->vm;
    if (!vm->n_marks) return fail(r, "no MARK to end");
    *start = vm->marks[--vm->n_marks];
    return LS_OK;
}

static ls_status memo_put(reader *r, uint64_t index) {
    pk_vm *vm = r->vm;
    if (index >= PK_MAX_MEMO) return fail(r, "memo index %llu (at most %d)", (unsigned long long)index, PK_MAX_MEMO);
    struct pk_obj *o = NULL;
    LS_TRY(top(r, &o));
    if (index >= vm->n_memo) {
        size_t n = vm->n_memo ? vm->n_memo : 64;
        while (n <= index)
            n *= 2;
        if (n > PK_MAX_MEMO) n = PK_MAX_MEMO;
        struct pk_obj **m = realloc(vm->memo, n * sizeof *m);
        if (!m) return ls_fail(LS_ERR_OOM, "%s: pickle: no memory for the memo", vm->label);
        memset(m + vm->n_memo, 0, (n - vm->n_memo) * sizeof *m);
        vm->memo = m, vm->n_memo = n;
    }
    if (!vm->memo[index]) r->n_memo_set++;
    vm->memo[index] = o;
    return LS_OK;
}

static ls_status memo_get(reader *r, uint64_t index) {
    pk_vm *vm = r->vm;
    if (index >= vm->n_memo || !vm->memo[index]) return fail(r, "memo slot %llu is empty", (unsigned long long)index);
    return push(r, vm->memo[index]);
}

// --- reading arguments -----------------------------------------------------------------------------------

static ls_status need(reader *r, uint64_t n) {
    if (n > r->n_bytes - r->pos)
        return fail(r, "needs %llu bytes, %zu left (truncated data.pkl)", (unsigned long long)n, r->n_bytes - r->pos);
    return LS_OK;
}

static ls_status read_uint(reader *r, int n_bytes, uint64_t *out) {
    LS_TRY(need(r, (uint64_t)n_bytes));
    uint64_t v = 0;
    for (int i = 0; i < n_bytes; i++)
        v |= (uint64_t)r->data[r->pos + i] << (8 * i);
    r->pos += (size_t)n_bytes;
    *out = v;
    return LS_OK;
}

static ls_status push_int(reader *r, int64_t v) {
    struct pk_obj *o = NULL;
    LS_TRY(new_obj(r, PT_KIND_INT, &o));
    o->u.i = v;
    return push(r, o);
}

// LONG1 / LONG4: little-endian two's complement of n bytes; only what fits 64 bits.
static ls_status read_long(reader *r, uint64_t n) {
    if (n > 8) return fail(r, "integer of %llu bytes (more than 64 bits)", (unsigned long long)n);
    uint64_t v;
    LS_TRY(read_uint(r, (int)n, &v));
    if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~(uint64_t)0 << (8 * n); // sign-extend
    return push_int(r, (int64_t)v);
}

static ls_status push_string(reader *r, pt_kind kind, uint64_t n) {
    uint64_t limit = kind == PT_KIND_STR ? PK_MAX_STR_BYTES : PK_MAX_BYTES_BYTES;
    if (n > limit)
        return fail(r, "%s of %llu bytes (at most %llu)", pt_kind_name(kind), (unsigned long long)n,
                    (unsigned long long)limit);
    LS_TRY(need(r, n));
    struct pk_obj *o = NULL;
    LS_TRY(new_obj(r, kind, &o));
    o->u.str.s = malloc(n + 1);
    if (!o->u.str.s) return ls_fail(LS_ERR_OOM, "%s: pickle: no memory for a string", r->vm->label);
    memcpy(o->u.str.s, r->data + r->pos, n);
    o->u.str.s[n] = '\0';
    o->u.str.n_bytes = n;
    r->pos += n;
    return push(r, o);
}

static ls_status push_simple(reader *r, pt_kind kind, bool b) {
    struct pk_obj *o = NULL;
    LS_TRY(new_obj(r, kind, &o));
    o->u.b = b;
    return push(r, o);
}

// --- globals -----------------------------------------------------------------------------------------------

static const struct allowed_global {
    const char *module, *name, *full;
    pk_global id;
    pt_dtype dtype;
} allowed[] = {
    {"torch._utils", "_rebuild_tensor_v2", "torch._utils._rebuild_tensor_v2", PK_G_REBUILD_TENSOR_V2, PT_F32},
    {"torch._utils", "_rebuild_tensor", "torch._utils._rebuild_tensor", PK_G_REBUILD_TENSOR, PT_F32},
    {"torch._utils", "_rebuild_parameter", "torch._utils._rebuild_parameter", PK_G_REBUILD_PARAMETER, PT_F32},
    {"torch._utils", "_rebuild_parameter_with_state", "torch._utils._rebuild_parameter_with_state",
     PK_G_REBUILD_PARAMETER_WITH_STATE, PT_F32},
    {"collections", "OrderedDict", "collections.OrderedDict", PK_G_ORDERED_DICT, PT_F32},
    {"torch", "FloatStorage", "torch.FloatStorage", PK_G_STORAGE, PT_F32},
    {"torch", "HalfStorage", "torch.HalfStorage", PK_G_STORAGE, PT_F16},
    {"torch", "BFloat16Storage", "torch.BFloat16Storage", PK_G_STORAGE, PT_BF16},
    {"torch", "DoubleStorage", "torch.DoubleStorage", PK_G_STORAGE, PT_F64},
    {"torch", "LongStorage", "torch.LongStorage", PK_G_STORAGE, PT_I64},
    {"torch", "IntStorage", "torch.IntStorage", PK_G_STORAGE, PT_I32},
    {"torch", "ShortStorage", "torch.ShortStorage", PK_G_STORAGE, PT_I16},
    {"torch", "CharStorage", "torch.CharStorage", PK_G_STORAGE, PT_I8},
    {"torch", "ByteStorage", "torch.ByteStorage", PK_G_STORAGE, PT_U8},
    {"torch", "BoolStorage", "torch.BoolStorage", PK_G_STORAGE, PT_BOOL},
};

static ls_status push_global(reader *r, const char *module, size_t n_module, const char *name, size_t n_name) {
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++) {
        const struct allowed_global *g = &allowed[i];
        if (strlen(g->module) == n_module && !memcmp(g->module, module, n_module) && strlen(g->name) == n_name &&
            !memcmp(g->name, name, n_name)) {
            struct pk_obj *o = NULL;
            LS_TRY(new_obj(r, PT_KIND_GLOBAL, &o));
            o->u.global.id = g->id, o->u.global.dtype = g->dtype, o->u.global.name = g->full;
            return push(r, o);
        }
    }
    char full[2 * 64 + 2], shown[160];
    snprintf(full, sizeof full, "%.*s.%.*s", (int)(n_module < 64 ? n_module : 64), module,
             (int)(n_name < 64 ? n_name : 64), name);
    wc_printable(shown, sizeof shown, full);
    return ls_fail(LS_ERR_INPUT, "%s: pickle global '%s' is not allowed (loading never runs code)", r->vm->label,
                   shown);
}

// GLOBAL's argument: "module\nname\n".
static ls_status read_line(reader *r, const char **s, size_t *n) {
    size_t left = r->n_bytes - r->pos, max = left < 1024 ? left : 1024;
    const uint8_t *start = r->data + r->pos, *nl = memchr(start, '\n', max);
    if (!nl) return fail(r, "GLOBAL name without a newline in %zu bytes", max);
    *s = (const char *)start, *n = (size_t)(nl - start);
    if (memchr(start, 0, *n)) return fail(r, "GLOBAL name holds a NUL byte");
    r->pos += *n + 1;
    return LS_OK;
}

// --- calls of allowed globals ----------------------------------------------------------------------------

static bool is_seq(const struct pk_obj *o) { return o->kind == PT_KIND_TUPLE || o->kind == PT_KIND_LIST; }

static ls_status int_tuple(reader *r, const struct pk_obj *o, const char *what, int *n, int64_t *out) {
    if (!is_seq(o)) return fail(r, "tensor %s is a %s, expected a tuple", what, pt_kind_name(o->kind));
    if (o->u.seq.n > PT_MAX_DIMS)
        return fail(r, "tensor %s has %zu dimensions (at most %d)", what, o->u.seq.n, PT_MAX_DIMS);
    for (size_t i = 0; i < o->u.seq.n; i++) {
        const struct pk_obj *v = o->u.seq.items[i];
        if (v->kind != PT_KIND_INT)
            return fail(r, "tensor %s[%zu] is a %s, expected an int", what, i, pt_kind_name(v->kind));
        if (v->u.i < 0) return fail(r, "tensor %s[%zu] is negative (%lld)", what, i, (long long)v->u.i);
        out[i] = v->u.i;
    }
    *n = (int)o->u.seq.n;
    return LS_OK;
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) and
// _rebuild_tensor(storage, storage_offset, size, stride): a tensor reference; its bounds are checked against
// the storage record by torch_checkpoint.c.
static ls_status rebuild_tensor(reader *r, struct pk_obj **args, size_t n_args, bool v2) {
    if (v2 ? n_args != 6 && n_args != 7 : n_args != 4)
        return fail(r, "%s takes %s arguments, got %zu", v2 ? "_rebuild_tensor_v2" : "_rebuild_tensor",
                    v2 ? "6 or 7" : "4", n_args);
    if (args[0]->kind != PT_KIND_STORAGE)
        return fail(r, "tensor storage is a %s, expected a storage persistent id", pt_kind_name(args[0]->kind));
    if (args[1]->kind != PT_KIND_INT || args[1]->u.i < 0) return fail(r, "tensor storage offset is not an int >= 0");
    struct pk_tensor t = {.storage = args[0], .offset = args[1]->u.i};
    int n_strides;
    LS_TRY(int_tuple(r, args[2], "size", &t.n_dims, t.shape));
    LS_TRY(int_tuple(r, args[3], "stride", &n_strides, t.stride));
    if (n_strides != t.n_dims) return fail(r, "tensor has %d sizes and %d strides", t.n_dims, n_strides);
    if (v2 && args[4]->kind != PT_KIND_BOOL)
        return fail(r, "tensor requires_grad is a %s", pt_kind_name(args[4]->kind));
    struct pk_obj *o = NULL;
    LS_TRY(new_obj(r, PT_KIND_TENSOR, &o));
    o->u.tensor = malloc(sizeof t);
    if (!o->u.tensor) return ls_fail(LS_ERR_OOM, "%s: pickle: no memory for a tensor", r->vm->label);
    *o->u.tensor = t;
    return push(r, o);
}

static ls_status call_global(reader *r, const struct pk_obj *fn, struct pk_obj *args_obj) {
    if (fn->kind != PT_KIND_GLOBAL) return fail(r, "calls a %s", pt_kind_name(fn->kind));
    if (args_obj->kind != PT_KIND_TUPLE)
        return fail(r, "call arguments are a %s, expected a tuple", pt_kind_name(args_obj->kind));
    struct pk_obj **args = args_obj->u.seq.items;
    size_t n = args_obj->u.seq.n;
    switch (fn->u.global.id) {
    case PK_G_ORDERED_DICT: {
        if (n != 0) return fail(r, "collections.OrderedDict called with %zu arguments (expected none)", n);
        struct pk_obj *d = NULL;
        LS_TRY(new_obj(r, PT_KIND_DICT, &d));
        return push(r, d);
    }
    case PK_G_REBUILD_TENSOR_V2: return rebuild_tensor(r, args, n, true);
    case PK_G_REBUILD_TENSOR: return rebuild_tensor(r, args, n, false);
    case PK_G_REBUILD_PARAMETER:
    case PK_G_REBUILD_PARAMETER_WITH_STATE: {
        // (data, requires_grad, backward_hooks[, state]) -> the tensor itself
        size_t want = fn->u.global.id == PK_G_REBUILD_PARAMETER ? 3 : 4;
        if (n != want) return fail(r, "%s takes %zu arguments, got %zu", fn->u.global.name, want, n);
        if (args[0]->kind != PT_KIND_TENSOR)
            return fail(r, "%s of a %s", fn->u.global.name, pt_kind_name(args[0]->kind));
        return push(r, args[0]);
    }
    case PK_G_STORAGE: break;
    }
    return fail(r, "calls '%s', which this reader does not run", fn->u.global.name);
}

// BINPERSID's id: ('storage', torch.<Type>Storage, key, location, numel).
static ls_status persistent_load(reader *r, const struct pk_obj *pid) {
    if (pid->kind != PT_KIND_TUPLE || pid->u.seq.n != 5)
        return fail(r, "persistent id is not a 5-tuple ('storage', ...)");
    struct pk_obj *const *a = pid->u.seq.items;
    if (a[0]->kind != PT_KIND_STR || strcmp(a[0]->u.str.s, "storage") != 0)
        return fail(r, "persistent id is not a storage");
    if (a[1]->kind != PT_KIND_GLOBAL || a[1]->u.global.id != PK_G_STORAGE)
        return fail(r, "storage type is a %s, expected a torch.<Type>Storage", pt_kind_name(a[1]->kind));
    if (a[2]->kind != PT_KIND_STR || a[2]->u.str.n_bytes == 0 || a[2]->u.str.n_bytes > 256 ||
        strlen(a[2]->u.str.s) != a[2]->u.str.n_bytes || strchr(a[2]->u.str.s, '/'))
        return fail(r, "storage key is not a short name");
    if (a[3]->kind != PT_KIND_STR) return fail(r, "storage location is a %s, expected a str", pt_kind_name(a[3]->kind));
    if (a[4]->kind != PT_KIND_INT || a[4]->u.i < 0) return fail(r, "storage size is not an int >= 0");
    struct pk_obj *o = NULL;
    LS_TRY(new_obj(r, PT_KIND_STORAGE, &o));
    o->u.storage.dtype = a[1]->u.global.dtype;
    o->u.storage.n_elems = a[4]->u.i;
    o->u.storage.key = strdup(a[2]->u.str.s);
    if (!o->u.storage.key) return ls_fail(LS_ERR_OOM, "%s: pickle: no memory", r->vm->label);
    return push(r, o);
}

// --- containers ----------------------------------------------------------------------------------------------

static ls_status make_seq(reader *r, pt_kind kind, size_t start) {
    pk_vm *vm = r->vm;
    struct pk_obj *o = NULL;
    LS_TRY(new_obj(r, kind, &o));
    for (size_t i = start; i < vm->n_stack; i++)
        LS_TRY(seq_push(r, o, vm->stack[i]));
    vm->n_stack = start;
    return push(r, o);
}

static ls_status tuple_n(reader *r, size_t n) {
    pk_vm *vm = r->vm;
    if (vm->n_stack < mark_base(vm) + n) return fail(r, "stack underflow");
    return make_seq(r, PT_KIND_TUPLE, vm->n_stack - n);
}

// APPEND(S) and SETITEM(S): items stack[start..] go into the container just below them.
static ls_status fill(reader *r, size_t start, pt_kind want) {
    pk_vm *vm = r->vm;
    if (start == 0 || start <= mark_base(vm)) return fail(r, "stack underflow");
    struct pk_obj *c = vm->stack[start - 1];
    if (c->kind != want)
        return fail(r, "%s into a %s", want == PT_KIND_LIST ? "APPEND" : "SETITEM", pt_kind_name(c->kind));
    if (want == PT_KIND_DICT && (vm->n_stack - start) % 2) return fail(r, "SETITEMS with an odd number of items");
    for (size_t i = start; i < vm->n_stack; i++)
        LS_TRY(seq_push(r, c, vm->stack[i]));
    vm->n_stack = start;
    return LS_OK;
}

// --- the machine -------------------------------------------------------------------------------------------

enum opcode {
    OP_MARK = '(',
    OP_STOP = '.',
    OP_POP = '0',
    OP_POP_MARK = '1',
    OP_DUP = '2',
    OP_BINFLOAT = 'G',
    OP_BININT = 'J',
    OP_BININT1 = 'K',
    OP_BININT2 = 'M',
    OP_NONE = 'N',
    OP_BINPERSID = 'Q',
    OP_REDUCE = 'R',
    OP_BINSTRING = 'T',
    OP_SHORT_BINSTRING = 'U',
    OP_BINUNICODE = 'X',
    OP_APPEND = 'a',
    OP_BUILD = 'b',
    OP_GLOBAL = 'c',
    OP_DICT = 'd',
    OP_EMPTY_DICT = '}',
    OP_APPENDS = 'e',
    OP_BINGET = 'h',
    OP_LONG_BINGET = 'j',
    OP_LIST = 'l',
    OP_EMPTY_LIST = ']',
    OP_BINPUT = 'q',
    OP_LONG_BINPUT = 'r',
    OP_SETITEM = 's',
    OP_TUPLE = 't',
    OP_EMPTY_TUPLE = ')',
    OP_SETITEMS = 'u',
    OP_BINBYTES = 'B',
    OP_SHORT_BINBYTES = 'C',
    OP_PROTO = 0x80,
    OP_NEWOBJ = 0x81,
    OP_TUPLE1 = 0x85,
    OP_TUPLE2 = 0x86,
    OP_TUPLE3 = 0x87,
    OP_NEWTRUE = 0x88,
    OP_NEWFALSE = 0x89,
    OP_LONG1 = 0x8a,
    OP_LONG4 = 0x8b,
    OP_SHORT_BINUNICODE = 0x8c,
    OP_BINUNICODE8 = 0x8d,
    OP_BINBYTES8 = 0x8e,
    OP_STACK_GLOBAL = 0x93,
    OP_MEMOIZE = 0x94,
    OP_FRAME = 0x95,
};

static ls_status step(reader *r, bool *stop) {
    pk_vm *vm = r->vm;
    uint64_t u;
    struct pk_obj *a = NULL, *b = NULL;
    size_t start = 0;
    switch (r->op) {
    case OP_PROTO:
        LS_TRY(read_uint(r, 1, &u));
        if (u < 2 || u > 5) return fail(r, "protocol %llu (this reader takes 2 to 5)", (unsigned long long)u);
        return LS_OK;
    case OP_FRAME: LS_TRY(read_uint(r, 8, &u)); return need(r, u); // framing only groups the opcodes that follow
    case OP_STOP:
        LS_TRY(pop(r, &vm->result));
        *stop = true;
        return LS_OK;
    case OP_MARK:
        if (vm->n_marks == PK_MAX_MARKS) return fail(r, "more than %d open MARKs", PK_MAX_MARKS);
        if (!vm->marks && !(vm->marks = malloc(PK_MAX_MARKS * sizeof *vm->marks)))
            return ls_fail(LS_ERR_OOM, "%s: pickle: no memory", vm->label);
        vm->marks[vm->n_marks++] = vm->n_stack;
        return LS_OK;
    case OP_POP:
        if (vm->n_stack > mark_base(vm)) return vm->n_stack--, LS_OK;
        return pop_mark(r, &start);
    case OP_POP_MARK:
        LS_TRY(pop_mark(r, &start));
        vm->n_stack = start;
        return LS_OK;
    case OP_DUP: LS_TRY(top(r, &a)); return push(r, a);
    case OP_NONE: return push_simple(r, PT_KIND_NONE, false);
    case OP_NEWTRUE: return push_simple(r, PT_KIND_BOOL, true);
    case OP_NEWFALSE: return push_simple(r, PT_KIND_BOOL, false);
    case OP_BININT: LS_TRY(read_uint(r, 4, &u)); return push_int(r, (int32_t)(uint32_t)u);
    case OP_BININT1: LS_TRY(read_uint(r, 1, &u)); return push_int(r, (int64_t)u);
    case OP_BININT2: LS_TRY(read_uint(r, 2, &u)); return push_int(r, (int64_t)u);
    case OP_LONG1: LS_TRY(read_uint(r, 1, &u)); return read_long(r, u);
    case OP_LONG4: LS_TRY(read_uint(r, 4, &u)); return read_long(r, u);
    case OP_BINFLOAT: {
        LS_TRY(need(r, 8));
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits = bits << 8 | r->data[r->pos + i]; // big-endian
        r->pos += 8;
        LS_TRY(new_obj(r, PT_KIND_FLOAT, &a));
        memcpy(&a->u.f, &bits, 8);
        return push(r, a);
    }
    case OP_SHORT_BINUNICODE: LS_TRY(read_uint(r, 1, &u)); return push_string(r, PT_KIND_STR, u);
    case OP_BINUNICODE: LS_TRY(read_uint(r, 4, &u)); return push_string(r, PT_KIND_STR, u);
    case OP_BINUNICODE8: LS_TRY(read_uint(r, 8, &u)); return push_string(r, PT_KIND_STR, u);
    case OP_SHORT_BINSTRING: LS_TRY(read_uint(r, 1, &u)); return push_string(r, PT_KIND_STR, u);
    case OP_BINSTRING:
        LS_TRY(read_uint(r, 4, &u));
        if (u >> 31) return fail(r, "negative string length");
        return push_string(r, PT_KIND_STR, u);
    case OP_SHORT_BINBYTES: LS_TRY(read_uint(r, 1, &u)); return push_string(r, PT_KIND_BYTES, u);
    case OP_BINBYTES: LS_TRY(read_uint(r, 4, &u)); return push_string(r, PT_KIND_BYTES, u);
    case OP_BINBYTES8: LS_TRY(read_uint(r, 8, &u)); return push_string(r, PT_KIND_BYTES, u);
    case OP_EMPTY_TUPLE: return tuple_n(r, 0);
    case OP_TUPLE1: return tuple_n(r, 1);
    case OP_TUPLE2: return tuple_n(r, 2);
    case OP_TUPLE3: return tuple_n(r, 3);
    case OP_TUPLE: LS_TRY(pop_mark(r, &start)); return make_seq(r, PT_KIND_TUPLE, start);
    case OP_EMPTY_LIST: LS_TRY(new_obj(r, PT_KIND_LIST, &a)); return push(r, a);
    case OP_LIST: LS_TRY(pop_mark(r, &start)); return make_seq(r, PT_KIND_LIST, start);
    case OP_EMPTY_DICT: LS_TRY(new_obj(r, PT_KIND_DICT, &a)); return push(r, a);
    case OP_DICT:
        LS_TRY(pop_mark(r, &start));
        if ((vm->n_stack - start) % 2) return fail(r, "DICT with an odd number of items");
        return make_seq(r, PT_KIND_DICT, start);
    case OP_APPEND:
        if (vm->n_stack < mark_base(vm) + 2) return fail(r, "stack underflow");
        return fill(r, vm->n_stack - 1, PT_KIND_LIST);
    case OP_APPENDS: LS_TRY(pop_mark(r, &start)); return fill(r, start, PT_KIND_LIST);
    case OP_SETITEM:
        if (vm->n_stack < mark_base(vm) + 3) return fail(r, "stack underflow");
        return fill(r, vm->n_stack - 2, PT_KIND_DICT);
    case OP_SETITEMS: LS_TRY(pop_mark(r, &start)); return fill(r, start, PT_KIND_DICT);
    case OP_BINPUT: LS_TRY(read_uint(r, 1, &u)); return memo_put(r, u);
    case OP_LONG_BINPUT: LS_TRY(read_uint(r, 4, &u)); return memo_put(r, u);
    case OP_MEMOIZE: return memo_put(r, r->n_memo_set);
    case OP_BINGET: LS_TRY(read_uint(r, 1, &u)); return memo_get(r, u);
    case OP_LONG_BINGET: LS_TRY(read_uint(r, 4, &u)); return memo_get(r, u);
    case OP_GLOBAL: {
        const char *module = NULL, *name = NULL;
        size_t n_module = 0, n_name = 0;
        LS_TRY(read_line(r, &module, &n_module));
        LS_TRY(read_line(r, &name, &n_name));
        return push_global(r, module, n_module, name, n_name);
    }
    case OP_STACK_GLOBAL:
        LS_TRY(pop(r, &b));
        LS_TRY(pop(r, &a));
        if (a->kind != PT_KIND_STR || b->kind != PT_KIND_STR)
            return fail(r, "STACK_GLOBAL of a %s and a %s", pt_kind_name(a->kind), pt_kind_name(b->kind));
        return push_global(r, a->u.str.s, a->u.str.n_bytes, b->u.str.s, b->u.str.n_bytes);
    case OP_REDUCE:
        LS_TRY(pop(r, &b));
        LS_TRY(pop(r, &a));
        return call_global(r, a, b);
    case OP_NEWOBJ: // cls.__new__(cls, *args): only OrderedDict, which takes no arguments
        LS_TRY(pop(r, &b));
        LS_TRY(pop(r, &a));
        if (a->kind != PT_KIND_GLOBAL || a->u.global.id != PK_G_ORDERED_DICT)
            return fail(r, "NEWOBJ of a %s%s%s", pt_kind_name(a->kind), a->kind == PT_KIND_GLOBAL ? " " : "",
                        a->kind == PT_KIND_GLOBAL ? a->u.global.name : "");
        return call_global(r, a, b);
    case OP_BUILD:
        // An OrderedDict's state is its attribute dict (a module state_dict's `_metadata`): not items, ignored.
        LS_TRY(pop(r, &b));
        LS_TRY(top(r, &a));
        if (a->kind == PT_KIND_DICT && (b->kind == PT_KIND_DICT || b->kind == PT_KIND_NONE)) return LS_OK;
        if (a->kind == PT_KIND_TENSOR && b->kind == PT_KIND_NONE) return LS_OK;
        return fail(r, "BUILD of a %s with a %s state", pt_kind_name(a->kind), pt_kind_name(b->kind));
    case OP_BINPERSID: LS_TRY(pop(r, &a)); return persistent_load(r, a);
    }
    if (r->op >= 0x20 && r->op < 0x7f) return fail(r, "unknown or unsupported opcode '%c'", r->op);
    return fail(r, "unknown or unsupported opcode");
}

ls_status pk_run(pk_vm *vm, const uint8_t *data, size_t n_bytes, const char *label) {
    *vm = (pk_vm){.label = label};
    reader r = {.vm = vm, .data = data, .n_bytes = n_bytes};
    for (bool stop = false; !stop;) {
        if (r.pos >= n_bytes)
            return ls_fail(LS_ERR_INPUT, "%s: pickle: data ends at byte %zu without STOP", label, n_bytes);
        r.op_pos = r.pos;
        r.op = data[r.pos++];
        LS_TRY(step(&r, &stop));
    }
    return LS_OK;
}
