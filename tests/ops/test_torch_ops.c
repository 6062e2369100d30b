// test_torch_ops.c — the ops on every backend against golden outputs of the ORIGINAL PyTorch code:
// tests/data/op_fixtures.safetensors, written by tests/reference/make_op_fixtures.py from torch 1.13 (CPU,
// fp32), diffusers v0.32.2 and bytedance/LatentSync. Cases and their parameters come from the file's
// __metadata__ "cases" (JSON); tensors are "<case>.<role>". Where kernels/ref is the definition for the
// other op tests, this one pins that definition to the original framework.
//
// Tolerances (STYLE 8.2; two fp32 implementations, each within a few ulps of exact):
//   linear, conv2d, conv1d  atol 1e-5 sqrt(K), rtol 1e-4, nmse 1e-7      (K = reduction length; as test_conv2d)
//   group_norm, layer_norm  atol 1e-5, rtol 1e-5, nmse 1e-9               (statistics over <= 144 values)
//   softmax                 atol 1e-7, rtol 1e-5, nmse 1e-9
//   attention               atol 1e-5, rtol 1e-4, nmse 1e-8               (as test_attention)
//   geglu (gate only)       atol 1e-6, rtol 1e-5, nmse 1e-9; linear + gate chained: linear's bound
//   gelu, gelu_tanh, silu   atol 1e-6, rtol 1e-5, nmse 1e-9
//   upsample2x              exact (a copy)
//   sinusoids               atol 3 eps_f32 t_max + 1e-6, rtol 0, nmse 1e-8: torch rounds t * freq to f32
//                           before sin/cos, so an argument near 1500 carries ~1e-4 of rounding either way.
// Run: meson test -C build torch_ops   (or build/tests/test_torch_ops tests/data)
#include <cjson/cJSON.h>

#include "loader.h"
#include "op_test.h"

#define FIXTURE_FILE    "op_fixtures.safetensors"
#define FIXTURE_FORMAT  "ls-op-fixtures"
#define FIXTURE_VERSION 1
#define HINT            "hint: regenerate with tests/reference/make_op_fixtures.py (see tests/reference/README.md)"

static const struct tolerance TOL_NORM = {1e-5, 1e-5, 1e-9};
static const struct tolerance TOL_SOFTMAX = {1e-7, 1e-5, 1e-9};
static const struct tolerance TOL_ATTENTION = {1e-5, 1e-4, 1e-8};
static const struct tolerance TOL_ELEMENTWISE = {1e-6, 1e-5, 1e-9};
static const struct tolerance TOL_EXACT = {0, 0, 1e-30}; // any difference fails; nmse > 0 keeps the % printable

static struct tolerance tol_gemm(int64_t k) { return (struct tolerance){1e-5 * sqrt((double)k), 1e-4, 1e-7}; }

// One case of the fixture file: its name and its JSON parameters.
typedef struct fixture_case {
    const st_file *f;
    const char *name;
    const cJSON *p;
} fixture_case;

// A host view of "<case>.<role>" (f32); false (and a failed check) when absent.
static bool get(const fixture_case *c, const char *role, tensor *t) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", c->name, role);
    ls_status s = st_tensor(c->f, key, t);
    bool ok = s == LS_OK && t->dtype == DTYPE_F32;
    CHECK(ok, "%s: %s; %s", key, s == LS_OK ? "not f32" : ls_error(), HINT);
    return ok;
}

static double param(const fixture_case *c, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->p, key);
    CHECK(cJSON_IsNumber(v) || cJSON_IsBool(v), "case %s: parameter '%s' missing; %s", c->name, key, HINT);
    return cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsTrue(v);
}

static double param_num_at(const fixture_case *c, const char *key, int index) {
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c->p, key), index);
    CHECK(cJSON_IsNumber(v), "case %s: parameter '%s[%d]' missing; %s", c->name, key, index, HINT);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}
static int param_at(const fixture_case *c, const char *key, int index) { return (int)param_num_at(c, key, index); }

static bool runs(struct backend *be, const fixture_case *c, op_kind op, dtype w) {
    if (backend_runs(be, op, DTYPE_F32, w)) return true;
    printf("skip %-48s [%s]: %s not supported\n", c->name, backend_name(be), op_kind_name(op));
    return false;
}

// Device copies of a case's inputs, released together.
struct dev_set {
    tensor t[8];
    int n;
};
static tensor *dev_add(struct dev_set *s, struct backend *be, const tensor *host) {
    LS_ASSERT(s->n < 8);
    s->t[s->n] = dev_copy(be, host);
    return &s->t[s->n++];
}
static tensor *dev_out(struct dev_set *s, struct backend *be, int n_dims, const int64_t *shape) {
    LS_ASSERT(s->n < 8);
    s->t[s->n] = dev_output(be, DTYPE_F32, n_dims, shape);
    return &s->t[s->n++];
}
static void dev_release_set(struct dev_set *s) {
    for (int i = 0; i < s->n; i++)
        dev_release(&s->t[i]);
    s->n = 0;
}

static void label(char *buf, size_t n, const fixture_case *c, const char *what) {
    snprintf(buf, n, "torch %s%s%s", c->name, what[0] ? " " : "", what);
}

// --- GEMM-like ---------------------------------------------------------------------------------------------

static void run_linear(struct test_backends *tb, const fixture_case *c) {
    bool bias = param(c, "bias") != 0;
    tensor x, w, b, ref;
    if (!get(c, "x", &x) || !get(c, "w", &w) || (bias && !get(c, "b", &b)) || !get(c, "out", &ref)) return;
    char name[96];
    label(name, sizeof name, c, "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_LINEAR, DTYPE_F32)) continue;
        struct dev_set s = {0};
        tensor *dx = dev_add(&s, be, &x), *dw = dev_add(&s, be, &w), *db = bias ? dev_add(&s, be, &b) : NULL;
        tensor *out = dev_out(&s, be, ref.n_dims, ref.shape);
        CHECK_OK(op_linear(out, dx, dw, db));
        check_output(name, be, out, &ref, tol_gemm(w.shape[1]));
        dev_release_set(&s);
    }
}

static void run_conv2d(struct test_backends *tb, const fixture_case *c) {
    int stride = (int)param(c, "stride");
    struct conv2d_params p = {.stride_h = stride, .stride_w = stride, .dilation_h = 1, .dilation_w = 1, .groups = 1};
    p.pad_top = param_at(c, "pad", 0), p.pad_bottom = param_at(c, "pad", 1);
    p.pad_left = param_at(c, "pad", 2), p.pad_right = param_at(c, "pad", 3);
    tensor x, w, b, ref;
    if (!get(c, "x", &x) || !get(c, "w", &w) || !get(c, "b", &b) || !get(c, "out", &ref)) return;
    int64_t ho = conv_out_size(x.shape[2], (int)w.shape[2], stride, p.pad_top, p.pad_bottom, 1);
    int64_t wo = conv_out_size(x.shape[3], (int)w.shape[3], stride, p.pad_left, p.pad_right, 1);
    CHECK(ref.n_dims == 4 && ref.shape[2] == ho && ref.shape[3] == wo, "%s: output %lldx%lld, expected %lldx%lld",
          c->name, (long long)ref.shape[2], (long long)ref.shape[3], (long long)ho, (long long)wo);
    char name[96];
    label(name, sizeof name, c, "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_CONV2D, DTYPE_F32)) continue;
        struct dev_set s = {0};
        tensor *dx = dev_add(&s, be, &x), *dw = dev_add(&s, be, &w), *db = dev_add(&s, be, &b);
        tensor *out = dev_out(&s, be, 4, ref.shape);
        CHECK_OK(op_conv2d(out, dx, dw, db, &p));
        check_output(name, be, out, &ref, tol_gemm(w.shape[1] * w.shape[2] * w.shape[3]));
        dev_release_set(&s);
    }
}

static void run_conv1d(struct test_backends *tb, const fixture_case *c) {
    struct conv1d_params p = {(int)param(c, "stride"), (int)param(c, "pad"), 1};
    tensor x, w, b, ref;
    if (!get(c, "x", &x) || !get(c, "w", &w) || !get(c, "b", &b) || !get(c, "out", &ref)) return;
    char name[96];
    label(name, sizeof name, c, "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_CONV1D, DTYPE_F32)) continue;
        struct dev_set s = {0};
        tensor *dx = dev_add(&s, be, &x), *dw = dev_add(&s, be, &w), *db = dev_add(&s, be, &b);
        tensor *out = dev_out(&s, be, 3, ref.shape);
        CHECK_OK(op_conv1d(out, dx, dw, db, &p));
        check_output(name, be, out, &ref, tol_gemm(w.shape[1] * w.shape[2]));
        dev_release_set(&s);
    }
}

// --- normalisation -----------------------------------------------------------------------------------------

// 4-D: per image. 5-D (B, C, F, H, W): torch normalises across the F frames of each batch element; checked
// both as a 5-D tensor (frames 1: the statistics span C/G x F x H x W) and in the engine's UNet layout
// (B*F, C, H, W) with frames = F, moved there and back by the layout ops.
static void run_group_norm(struct test_backends *tb, const fixture_case *c) {
    int groups = (int)param(c, "groups");
    float eps = (float)param(c, "eps");
    tensor x, g, b, refs[2];
    if (!get(c, "x", &x) || !get(c, "gamma", &g) || !get(c, "beta", &b) || !get(c, "out", &refs[0]) ||
        !get(c, "out_silu", &refs[1]))
        return;
    bool video = x.n_dims == 5;
    int64_t frames = video ? x.shape[2] : 1;
    int64_t fs[4] = {x.shape[0] * frames, x.shape[1], x.shape[x.n_dims - 2], x.shape[x.n_dims - 1]};
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_GROUP_NORM, DTYPE_COUNT)) continue;
        for (int silu = 0; silu < 2; silu++) {
            char name[96];
            label(name, sizeof name, c, silu ? "+silu" : "");
            struct dev_set s = {0};
            tensor *dx = dev_add(&s, be, &x), *dg = dev_add(&s, be, &g), *db = dev_add(&s, be, &b);
            tensor *out = dev_out(&s, be, x.n_dims, x.shape);
            struct group_norm_params p = {groups, eps, 1, silu};
            CHECK_OK(op_group_norm(out, dx, dg, db, &p));
            check_output(name, be, out, &refs[silu], TOL_NORM);
            if (video && backend_runs(be, OP_COPY, DTYPE_F32, DTYPE_COUNT)) {
                tensor *xf = dev_out(&s, be, 4, fs), *yf = dev_out(&s, be, 4, fs), *y = dev_out(&s, be, 5, x.shape);
                struct group_norm_params pf = {groups, eps, (int)frames, silu};
                CHECK_OK(op_bcfhw_to_frames(xf, dx));
                CHECK_OK(op_group_norm(yf, xf, dg, db, &pf));
                CHECK_OK(op_frames_to_bcfhw(y, yf, frames));
                char name2[120];
                snprintf(name2, sizeof name2, "%s (B*F) frames=%lld", name, (long long)frames);
                check_output(name2, be, y, &refs[silu], TOL_NORM);
            }
            dev_release_set(&s);
        }
    }
}

static void run_layer_norm(struct test_backends *tb, const fixture_case *c) {
    tensor x, g, b, ref;
    if (!get(c, "x", &x) || !get(c, "gamma", &g) || !get(c, "beta", &b) || !get(c, "out", &ref)) return;
    char name[96];
    label(name, sizeof name, c, "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_LAYER_NORM, DTYPE_COUNT)) continue;
        struct dev_set s = {0};
        tensor *dx = dev_add(&s, be, &x), *dg = dev_add(&s, be, &g), *db = dev_add(&s, be, &b);
        tensor *out = dev_out(&s, be, x.n_dims, x.shape);
        CHECK_OK(op_layer_norm(out, dx, dg, db, (float)param(c, "eps")));
        check_output(name, be, out, &ref, TOL_NORM);
        dev_release_set(&s);
    }
}

static void run_softmax(struct test_backends *tb, const fixture_case *c) {
    tensor x, ref;
    if (!get(c, "x", &x) || !get(c, "out", &ref)) return;
    char name[96];
    label(name, sizeof name, c, "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_SOFTMAX, DTYPE_COUNT)) continue;
        struct dev_set s = {0};
        tensor *dx = dev_add(&s, be, &x), *out = dev_out(&s, be, x.n_dims, x.shape);
        CHECK_OK(op_softmax(out, dx));
        check_output(name, be, out, &ref, TOL_SOFTMAX);
        dev_release_set(&s);
    }
}

// --- attention ---------------------------------------------------------------------------------------------

// q, k, v are regenerated from the case's seeds exactly as the generator made them (splitmix64, harness.h):
// value = scale * (2u - 1). Their stored first rows prove the streams agree before any output is compared.
static tensor attention_input(struct test_backends *tb, const fixture_case *c, int which, int64_t b, int64_t t,
                              int64_t ch) {
    static const char *const roles[3] = {"q0", "k0", "v0"};
    int64_t shape[3] = {b, t, ch};
    tensor h = host_tensor(tb->cpu, DTYPE_F32, 3, shape), row;
    rng r = {(uint64_t)param_at(c, "seeds", which)};
    float scale = (float)param_num_at(c, "scales", which);
    float *d = h.data;
    for (int64_t i = 0; i < b * t * ch; i++)
        d[i] = scale * (2.0f * rng_uniform(&r) - 1.0f);
    if (get(c, roles[which], &row))
        CHECK(tensor_n_elems(&row) == ch && memcmp(row.data, d, (size_t)ch * 4) == 0,
              "%s.%s: regenerated input differs from the generator's; %s", c->name, roles[which], HINT);
    return h;
}

static void run_attention(struct test_backends *tb, const fixture_case *c) {
    int64_t b = (int64_t)param(c, "batch"), tq = (int64_t)param(c, "tq"), tk = (int64_t)param(c, "tk");
    int heads = (int)param(c, "heads"), step = (int)param(c, "row_step");
    int64_t ch = heads * (int64_t)param(c, "dim_head");
    struct attention_params p = {heads, (float)param(c, "scale")};
    tensor ref;
    if (!get(c, "out", &ref) || step < 1) return;
    int64_t rows = (tq + step - 1) / step;
    bool shape_ok = ref.n_dims == 3 && ref.shape[0] == b && ref.shape[1] == rows && ref.shape[2] == ch;
    CHECK(shape_ok, "%s.out: shape does not match its parameters; %s", c->name, HINT);
    if (!shape_ok) return;
    tensor q = attention_input(tb, c, 0, b, tq, ch), k = attention_input(tb, c, 1, b, tk, ch);
    tensor v = attention_input(tb, c, 2, b, tk, ch);
    char name[96];
    label(name, sizeof name, c, step > 1 ? "(sampled rows)" : "");
    int64_t os[3] = {b, tq, ch};
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_ATTENTION, DTYPE_COUNT)) continue;
        struct dev_set s = {0};
        tensor *dq = dev_add(&s, be, &q), *dk = dev_add(&s, be, &k), *dv = dev_add(&s, be, &v);
        tensor *out = dev_out(&s, be, 3, os);
        CHECK_OK(op_attention(out, dq, dk, dv, &p));
        bool guard_ok;
        float *got = dev_download_f32(out, &guard_ok), *picked = malloc((size_t)(b * rows * ch) * 4);
        for (int64_t bi = 0; bi < b; bi++)
            for (int64_t r = 0; r < rows; r++)
                memcpy(picked + (bi * rows + r) * ch, got + (bi * tq + r * step) * ch, (size_t)ch * 4);
        char full[200];
        snprintf(full, sizeof full, "%s [%s]", name, backend_name(be));
        CHECK(guard_ok, "%s: output guard bytes overwritten", full);
        check_close(full, picked, ref.data, tensor_n_elems(&ref), TOL_ATTENTION);
        free(got), free(picked);
        dev_release_set(&s);
    }
    host_free(&q), host_free(&k), host_free(&v);
}

// --- GEGLU and activations ---------------------------------------------------------------------------------

// diffusers GEGLU = proj (linear) then the gate; the gate alone is op_geglu, so both halves are checked
// separately (the stored projection feeds the gate) and chained.
static void run_geglu(struct test_backends *tb, const fixture_case *c) {
    tensor x, w, b, proj, ref;
    if (!get(c, "x", &x) || !get(c, "w", &w) || !get(c, "b", &b) || !get(c, "proj", &proj) || !get(c, "out", &ref))
        return;
    char n1[96], n2[96], n3[96];
    label(n1, sizeof n1, c, "proj (linear)");
    label(n2, sizeof n2, c, "gate");
    label(n3, sizeof n3, c, "linear+gate");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_LINEAR, DTYPE_F32) || !runs(be, c, OP_GEGLU, DTYPE_COUNT)) continue;
        struct dev_set s = {0};
        tensor *dx = dev_add(&s, be, &x), *dw = dev_add(&s, be, &w), *db = dev_add(&s, be, &b);
        tensor *dp = dev_add(&s, be, &proj);
        tensor *p_out = dev_out(&s, be, proj.n_dims, proj.shape), *g_out = dev_out(&s, be, ref.n_dims, ref.shape);
        tensor *c_out = dev_out(&s, be, ref.n_dims, ref.shape);
        CHECK_OK(op_linear(p_out, dx, dw, db));
        check_output(n1, be, p_out, &proj, tol_gemm(w.shape[1]));
        CHECK_OK(op_geglu(g_out, dp));
        check_output(n2, be, g_out, &ref, TOL_ELEMENTWISE);
        CHECK_OK(op_geglu(c_out, p_out));
        check_output(n3, be, c_out, &ref, tol_gemm(w.shape[1]));
        dev_release_set(&s);
    }
}

static void run_unary(struct test_backends *tb, const fixture_case *c,
                      ls_status (*fn)(const tensor *, const tensor *)) {
    tensor x, ref;
    if (!get(c, "x", &x) || !get(c, "out", &ref)) return;
    char name[96];
    label(name, sizeof name, c, "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_UNARY, DTYPE_COUNT)) continue;
        struct dev_set s = {0};
        tensor *dx = dev_add(&s, be, &x), *out = dev_out(&s, be, x.n_dims, x.shape);
        CHECK_OK(fn(out, dx));
        check_output(name, be, out, &ref, TOL_ELEMENTWISE);
        dev_release_set(&s);
    }
}

// 4-D directly; LatentSync's 5-D (B, C, F, H, W) upsampling (scale 1, 2, 2) as a (B, C*F, H, W) view.
static void run_upsample(struct test_backends *tb, const fixture_case *c) {
    tensor x, ref;
    if (!get(c, "x", &x) || !get(c, "out", &ref)) return;
    int64_t h = x.shape[x.n_dims - 2], w = x.shape[x.n_dims - 1], planes = tensor_n_elems(&x) / (h * w) / x.shape[0];
    int64_t xs[4] = {x.shape[0], planes, h, w}, os[4] = {x.shape[0], planes, 2 * h, 2 * w};
    char name[96];
    label(name, sizeof name, c, "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_UPSAMPLE2X, DTYPE_COUNT)) continue;
        struct dev_set s = {0};
        tensor *dx = dev_add(&s, be, &x), *out = dev_out(&s, be, 4, os), x4;
        CHECK_OK(tensor_reshape(&x4, dx, 4, xs));
        CHECK_OK(op_upsample2x(out, &x4));
        check_output(name, be, out, &ref, TOL_EXACT);
        dev_release_set(&s);
    }
}

// --- sinusoidal tables -------------------------------------------------------------------------------------

// atol of a table whose largest argument is t_max * f_max: torch rounds the argument to f32 (half an ulp),
// our kernel may round differently (another half) and exp() of the frequency adds ~1 ulp relative.
static struct tolerance tol_sinusoid(double t_max) {
    return (struct tolerance){3.0 * t_max * 1.1920929e-7 + 1e-6, 0, 1e-8};
}

static void run_timestep_embedding(struct test_backends *tb, const fixture_case *c) {
    struct timestep_params p = {param(c, "flip_sin_to_cos") != 0, (float)param(c, "freq_shift"),
                                (float)param(c, "max_period")};
    tensor t, ref;
    if (!get(c, "t", &t) || !get(c, "out", &ref)) return;
    double t_max = 0;
    for (int64_t i = 0; i < t.shape[0]; i++)
        t_max = fmax(t_max, fabs(((const float *)t.data)[i]));
    char name[96];
    label(name, sizeof name, c, "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_TIMESTEP_EMBEDDING, DTYPE_COUNT)) continue;
        struct dev_set s = {0};
        tensor *dt = dev_add(&s, be, &t), *out = dev_out(&s, be, 2, ref.shape);
        CHECK_OK(op_timestep_embedding(out, dt, &p));
        check_output(name, be, out, &ref, tol_sinusoid(t_max));
        dev_release_set(&s);
    }
}

static tensor positions(struct test_backends *tb, int64_t n) {
    tensor t = host_tensor(tb->cpu, DTYPE_F32, 1, (int64_t[]){n});
    for (int64_t i = 0; i < n; i++)
        ((float *)t.data)[i] = (float)i;
    return t;
}

// Whisper's sinusoids(L, C) is the timestep embedding of t = 0..L-1 with [sin | cos] order and frequency
// divisor C/2 - 1 (freq_shift 1). The fixture keeps some rows; the whole table is computed and those compared.
static void run_sinusoids(struct test_backends *tb, const fixture_case *c) {
    int64_t len = (int64_t)param(c, "length"), ch = (int64_t)param(c, "channels");
    tensor ref;
    if (!get(c, "out", &ref)) return;
    int64_t rows = ref.shape[0];
    tensor t = positions(tb, len);
    struct timestep_params p = {false, 1.0f, 10000.0f};
    char name[96];
    label(name, sizeof name, c, "(sampled rows)");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_TIMESTEP_EMBEDDING, DTYPE_COUNT)) continue;
        struct dev_set s = {0};
        tensor *dt = dev_add(&s, be, &t), *out = dev_out(&s, be, 2, (int64_t[]){len, ch});
        CHECK_OK(op_timestep_embedding(out, dt, &p));
        bool guard_ok;
        float *got = dev_download_f32(out, &guard_ok), *picked = malloc((size_t)(rows * ch) * 4);
        for (int64_t r = 0; r < rows; r++) {
            int row = param_at(c, "rows", (int)r);
            LS_ASSERT(row >= 0 && row < len);
            memcpy(picked + r * ch, got + row * ch, (size_t)ch * 4);
        }
        char full[200];
        snprintf(full, sizeof full, "%s [%s]", name, backend_name(be));
        CHECK(guard_ok, "%s: output guard bytes overwritten", full);
        check_close(full, picked, ref.data, tensor_n_elems(&ref), tol_sinusoid((double)(len - 1)));
        free(got), free(picked);
        dev_release_set(&s);
    }
    host_free(&t);
}

// LatentSync's temporal PositionalEncoding(d, max_len): sin(pos f_k) at channel 2k, cos at 2k+1, with
// f_k = exp(-ln(1e4) 2k / d). That is the timestep embedding of t = 0..max_len-1 ([sin | cos], halves of
// d/2, freq_shift 0) with the halves interleaved: (L, 2, d/2) permuted to (L, d/2, 2).
static void run_positional_encoding(struct test_backends *tb, const fixture_case *c) {
    int64_t len = (int64_t)param(c, "max_len"), d = (int64_t)param(c, "d_model");
    tensor ref;
    if (!get(c, "out", &ref)) return;
    tensor t = positions(tb, len);
    struct timestep_params p = {false, 0.0f, 10000.0f};
    char name[96];
    label(name, sizeof name, c, "");
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!runs(be, c, OP_TIMESTEP_EMBEDDING, DTYPE_COUNT) || !runs(be, c, OP_COPY, DTYPE_COUNT)) continue;
        struct dev_set s = {0};
        tensor *dt = dev_add(&s, be, &t), *emb = dev_out(&s, be, 2, (int64_t[]){len, d});
        tensor *out = dev_out(&s, be, 3, (int64_t[]){len, d / 2, 2}), halves;
        CHECK_OK(op_timestep_embedding(emb, dt, &p));
        CHECK_OK(tensor_reshape(&halves, emb, 3, (int64_t[]){len, 2, d / 2})); // (L, 2, d/2)
        CHECK_OK(op_permute(out, &halves, (int[]){0, 2, 1}));                  // (L, d/2, 2)
        check_output(name, be, out, &ref, tol_sinusoid((double)(len - 1)));
        dev_release_set(&s);
    }
    host_free(&t);
}

// --- driver ------------------------------------------------------------------------------------------------

static void run_gelu(struct test_backends *tb, const fixture_case *c) { run_unary(tb, c, op_gelu); }
static void run_gelu_tanh(struct test_backends *tb, const fixture_case *c) { run_unary(tb, c, op_gelu_tanh); }
static void run_silu(struct test_backends *tb, const fixture_case *c) { run_unary(tb, c, op_silu); }

// The "op" of each case in the fixture's metadata -> its runner.
static const struct {
    const char *op;
    void (*run)(struct test_backends *tb, const fixture_case *c);
} RUNNERS[] = {
    {"linear", run_linear},
    {"conv2d", run_conv2d},
    {"conv1d", run_conv1d},
    {"group_norm", run_group_norm},
    {"layer_norm", run_layer_norm},
    {"softmax", run_softmax},
    {"attention", run_attention},
    {"geglu", run_geglu},
    {"gelu", run_gelu},
    {"gelu_tanh", run_gelu_tanh},
    {"silu", run_silu},
    {"upsample2x", run_upsample},
    {"timestep_embedding", run_timestep_embedding},
    {"sinusoids", run_sinusoids},
    {"positional_encoding", run_positional_encoding},
};

static bool check_format(const st_file *f) {
    const char *format = st_metadata(f, "format"), *version = st_metadata(f, "format_version");
    bool ok = format && version && strcmp(format, FIXTURE_FORMAT) == 0 && atoi(version) == FIXTURE_VERSION;
    CHECK(ok, "%s: format '%s' version '%s', expected '%s' version %d; %s", st_label(f), format ? format : "(none)",
          version ? version : "(none)", FIXTURE_FORMAT, FIXTURE_VERSION, HINT);
    if (ok)
        printf("fixtures: %s, torch %s, diffusers %s, LatentSync %.12s\n", st_label(f), st_metadata(f, "torch"),
               st_metadata(f, "diffusers"), st_metadata(f, "latentsync_commit"));
    return ok;
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: test_torch_ops DATA_DIR\n"), 2;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", argv[1], FIXTURE_FILE);
    st_file *f = NULL;
    if (st_open(&f, path) != LS_OK) return fprintf(stderr, "FAIL: %s; %s\n", ls_error(), HINT), 1;
    if (!check_format(f)) return st_close(f), harness_exit();
    const char *cases_json = st_metadata(f, "cases");
    cJSON *cases = cases_json ? cJSON_Parse(cases_json) : NULL;
    CHECK(cJSON_IsObject(cases), "%s: metadata 'cases' missing or not a JSON object; %s", path, HINT);

    struct test_backends tb;
    test_backends_init(&tb);
    int n_cases = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, cases) {
        fixture_case c = {f, item->string, item};
        const cJSON *op_item = cJSON_GetObjectItemCaseSensitive(item, "op");
        const char *op = cJSON_IsString(op_item) ? op_item->valuestring : "";
        n_cases++;
        size_t k = 0;
        while (k < sizeof RUNNERS / sizeof RUNNERS[0] && strcmp(RUNNERS[k].op, op))
            k++;
        if (k < sizeof RUNNERS / sizeof RUNNERS[0])
            RUNNERS[k].run(&tb, &c);
        else
            CHECK(false, "case %s: unknown op '%s'; %s", item->string, op, HINT);
    }
    // every op of the fixture list is exercised: a truncated metadata object must not pass quietly
    CHECK(n_cases >= 29, "%s: %d cases, expected at least 29; %s", path, n_cases, HINT);
    cJSON_Delete(cases);
    test_backends_free(&tb);
    st_close(f);
    return harness_exit();
}
