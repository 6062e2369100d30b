// test_copy.c — op_copy (dtype conversions f32/f16/bf16, strided views), op_permute (2-D to 5-D, incl. the
// tiled transpose path), op_concat and the UNet layout changes (B,C,F,H,W) <-> (B*F,C,H,W) <-> (B*H*W,F,C),
// on every backend against element-by-element reference copies. Exact (conversions round as the dtype).
#include "op_test.h"

static void permute_case(struct test_backends *tb, rng *r, int n_dims, const int64_t *shape, const int *perm) {
    tensor x = host_random(tb, r, DTYPE_F32, n_dims, shape, 1.0f), view;
    LS_ASSERT(tensor_permute(&view, &x, perm) == LS_OK);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, n_dims, view.shape);
    ref_copy(&ref, &view);
    char name[96], s[64];
    snprintf(name, sizeof name, "permute %s", shape_str(n_dims, shape, s, sizeof s));
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dx = dev_copy(be, &x), out = dev_output(be, DTYPE_F32, n_dims, view.shape);
        CHECK_OK(op_permute(&out, &dx, perm));
        check_output(name, be, &out, &ref, (struct tolerance){0, 0, 0});
        dev_release(&dx), dev_release(&out);
    }
    host_release(&x), host_free(&ref);
}

static void convert_case(struct test_backends *tb, rng *r, dtype from, dtype to) {
    int64_t s[2] = {19, 37};
    tensor x = host_random(tb, r, from, 2, s, 100.0f);
    tensor ref = host_tensor(tb->cpu, to, 2, s);
    ref_copy(&ref, &x);
    tensor ref32 = host_tensor(tb->cpu, DTYPE_F32, 2, s);
    ref_copy(&ref32, &ref);
    char name[64];
    snprintf(name, sizeof name, "copy %s->%s", dtype_name(from), dtype_name(to));
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        if (!be->ops->supports(be->ctx, OP_COPY, to, from)) continue;
        tensor dx = dev_copy(be, &x), out = dev_output(be, to, 2, s);
        CHECK_OK(op_copy(&out, &dx));
        check_output(name, be, &out, &ref32, (struct tolerance){0, 0, 0});
        dev_release(&dx), dev_release(&out);
    }
    host_release(&x), host_free(&ref), host_free(&ref32);
}

static void concat_case(struct test_backends *tb, rng *r) {
    int64_t as[4] = {2, 3, 4, 5}, bs[4] = {2, 6, 4, 5}, os[4] = {2, 9, 4, 5};
    tensor a = host_random(tb, r, DTYPE_F32, 4, as, 1.0f), b = host_random(tb, r, DTYPE_F32, 4, bs, 1.0f);
    tensor ref = host_tensor(tb->cpu, DTYPE_F32, 4, os);
    for (int64_t n = 0; n < 2; n++)
        for (int64_t c = 0; c < 9; c++)
            memcpy((float *)ref.data + (n * 9 + c) * 20,
                   c < 3 ? (float *)a.data + (n * 3 + c) * 20 : (float *)b.data + (n * 6 + c - 3) * 20, 80);
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor da = dev_copy(be, &a), db = dev_copy(be, &b), out = dev_output(be, DTYPE_F32, 4, os);
        CHECK_OK(op_concat(&out, &da, &db, 1));
        check_output("concat channels", be, &out, &ref, (struct tolerance){0, 0, 0});
        CHECK_FAILS(op_concat(&out, &da, &da, 1), LS_ERR_SHAPE, "concat");
        dev_release(&da), dev_release(&db), dev_release(&out);
    }
    host_release(&a), host_release(&b), host_free(&ref);
}

// (B, C, F, H, W) -> frames -> temporal -> frames -> (B, C, F, H, W) round trip, each step against a
// direct index computation.
static void layout_case(struct test_backends *tb, rng *r) {
    int64_t b = 2, c = 5, f = 3, h = 4, w = 6;
    int64_t s5[5] = {b, c, f, h, w}, s4[4] = {b * f, c, h, w}, s3[3] = {b * h * w, f, c};
    tensor x = host_random(tb, r, DTYPE_F32, 5, s5, 1.0f);
    tensor rf = host_tensor(tb->cpu, DTYPE_F32, 4, s4), rt = host_tensor(tb->cpu, DTYPE_F32, 3, s3);
    const float *xv = x.data;
    for (int64_t bb = 0; bb < b; bb++)
        for (int64_t cc = 0; cc < c; cc++)
            for (int64_t ff = 0; ff < f; ff++)
                for (int64_t y = 0; y < h; y++)
                    for (int64_t xx = 0; xx < w; xx++) {
                        float v = xv[(((bb * c + cc) * f + ff) * h + y) * w + xx];
                        ((float *)rf.data)[(((bb * f + ff) * c + cc) * h + y) * w + xx] = v;
                        ((float *)rt.data)[((bb * h * w + y * w + xx) * f + ff) * c + cc] = v;
                    }
    for (int i = 0; i < tb->n; i++) {
        struct backend *be = tb->list[i];
        tensor dx = dev_copy(be, &x), fr = dev_output(be, DTYPE_F32, 4, s4), tm = dev_output(be, DTYPE_F32, 3, s3);
        tensor fr2 = dev_output(be, DTYPE_F32, 4, s4), back = dev_output(be, DTYPE_F32, 5, s5);
        CHECK_OK(op_bcfhw_to_frames(&fr, &dx));
        check_output("bcfhw_to_frames", be, &fr, &rf, (struct tolerance){0, 0, 0});
        CHECK_OK(op_frames_to_temporal(&tm, &fr, f));
        check_output("frames_to_temporal", be, &tm, &rt, (struct tolerance){0, 0, 0});
        CHECK_OK(op_temporal_to_frames(&fr2, &tm, h, w));
        check_output("temporal_to_frames", be, &fr2, &rf, (struct tolerance){0, 0, 0});
        CHECK_OK(op_frames_to_bcfhw(&back, &fr2, f));
        check_output("frames_to_bcfhw", be, &back, &x, (struct tolerance){0, 0, 0});
        CHECK_FAILS(op_frames_to_temporal(&tm, &fr, 4), LS_ERR_SHAPE, "frames_to_temporal");
        dev_release(&dx), dev_release(&fr), dev_release(&tm), dev_release(&fr2), dev_release(&back);
    }
    host_release(&x), host_free(&rf), host_free(&rt);
}

int main(void) {
    struct test_backends tb;
    test_backends_init(&tb);
    rng r = {9};
    permute_case(&tb, &r, 2, (const int64_t[]){37, 70}, (const int[]){1, 0});
    permute_case(&tb, &r, 3, (const int64_t[]){3, 320, 64}, (const int[]){0, 2, 1});
    permute_case(&tb, &r, 4, (const int64_t[]){2, 3, 5, 7}, (const int[]){3, 1, 0, 2});
    permute_case(&tb, &r, 5, (const int64_t[]){2, 3, 4, 5, 6}, (const int[]){0, 2, 1, 3, 4});
    permute_case(&tb, &r, 5, (const int64_t[]){2, 1, 4, 1, 6}, (const int[]){4, 3, 2, 1, 0});
    const dtype dts[] = {DTYPE_F32, DTYPE_F16, DTYPE_BF16};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) convert_case(&tb, &r, dts[a], dts[b]);
    concat_case(&tb, &r);
    layout_case(&tb, &r);
    test_backends_free(&tb);
    return harness_exit();
}
