// test_cuda_backend.c — the CUDA backend itself: device count and init (and their failures without a GPU or
// without CUDA in the build), memory (alloc, free, out-of-memory message, memory_info), host <-> device copies
// of odd sizes and offsets, synchronous downloads, two contexts side by side, supports() and the unsupported-op
// message, LS_KERNEL parsing, every forced kernel variant against kernels/ref, and the CUDA error message
// format. Without a GPU only the no-device checks run and the test exits 77 (skipped).
#include "ops/op_test.h"

// Runs a small conv2d set and a linear set on backend be against the reference.
static void variant_cases(struct test_backends *tb, struct backend *be, const char *label, bool conv, bool lin,
                          bool copy) {
    rng r = {99};
    char name[128];
    if (conv) {
        const struct conv2d_params ps[] = {
            {1, 1, 1, 1, 1, 1, 1, 1, 1}, // 3x3 same
            {2, 2, 1, 1, 1, 1, 1, 1, 1}, // stride 2
            {1, 1, 0, 0, 0, 0, 1, 1, 1}, // 1x1 (kernel below)
            {1, 1, 1, 1, 1, 1, 1, 1, 4}, // grouped
            {1, 1, 2, 2, 2, 2, 2, 2, 1}, // dilated
        };
        for (size_t c = 0; c < sizeof ps / sizeof ps[0]; c++) {
            int k = c == 2 ? 1 : 3;
            int64_t xs[4] = {3, 8, 11, 9}, ws[4] = {12, 8 / ps[c].groups, k, k}, bs[1] = {12};
            int64_t ho = conv_out_size(11, k, ps[c].stride_h, ps[c].pad_top, ps[c].pad_bottom, ps[c].dilation_h);
            int64_t wo = conv_out_size(9, k, ps[c].stride_w, ps[c].pad_left, ps[c].pad_right, ps[c].dilation_w);
            int64_t os[4] = {3, 12, ho, wo};
            tensor x = host_random(tb, &r, DTYPE_F32, 4, xs, 1.0f), w = host_random(tb, &r, DTYPE_F32, 4, ws, 0.3f);
            tensor b = host_random(tb, &r, DTYPE_F32, 1, bs, 1.0f), ref = host_tensor(tb->cpu, DTYPE_F32, 4, os);
            ref_conv2d(&ref, &x, &w, &b, &ps[c]);
            tensor dx = dev_copy(be, &x), dw = dev_copy(be, &w), db = dev_copy(be, &b);
            tensor out = dev_output(be, DTYPE_F32, 4, os);
            snprintf(name, sizeof name, "%s conv2d case %zu", label, c);
            CHECK_OK(op_conv2d(&out, &dx, &dw, &db, &ps[c]));
            check_output(name, be, &out, &ref, (struct tolerance){1e-4, 1e-4, 1e-7});
            dev_release(&dx), dev_release(&dw), dev_release(&db), dev_release(&out);
            host_release(&x), host_release(&w), host_release(&b), host_free(&ref);
        }
    }
    if (lin) {
        for (int c = 0; c < 3; c++) {
            int64_t m = 7 + 20 * c, k = 33 + 31 * c, n = 5 + 40 * c;
            int64_t xs[2] = {m, k}, ws[2] = {n, k}, bs[1] = {n}, os[2] = {m, n};
            dtype wdt = c == 2 ? DTYPE_I8 : DTYPE_F32;
            tensor x = host_random(tb, &r, DTYPE_F32, 2, xs, 1.0f), w = host_random(tb, &r, wdt, 2, ws, 0.2f);
            tensor b = host_random(tb, &r, DTYPE_F32, 1, bs, 1.0f), ref = host_tensor(tb->cpu, DTYPE_F32, 2, os);
            ref_linear(&ref, &x, &w, c == 1 ? NULL : &b);
            tensor dx = dev_copy(be, &x), dw = dev_copy(be, &w), db = dev_copy(be, &b);
            tensor out = dev_output(be, DTYPE_F32, 2, os);
            snprintf(name, sizeof name, "%s linear case %d", label, c);
            CHECK_OK(op_linear(&out, &dx, &dw, c == 1 ? NULL : &db));
            check_output(name, be, &out, &ref, (struct tolerance){1e-4, 1e-4, 1e-7});
            dev_release(&dx), dev_release(&dw), dev_release(&db), dev_release(&out);
            host_release(&x), host_release(&w), host_release(&b), host_free(&ref);
        }
    }
    if (copy) { // transposes of 2 to 5 dims
        const int64_t shape[5] = {2, 9, 3, 40, 11};
        const int perms[][5] = {{0, 1, 2, 4, 3}, {4, 3, 2, 1, 0}, {0, 3, 1, 4, 2}};
        for (int c = 0; c < 3; c++) {
            tensor x = host_random(tb, &r, DTYPE_F32, 5, shape, 1.0f), view;
            LS_ASSERT(tensor_permute(&view, &x, perms[c]) == LS_OK);
            tensor ref = host_tensor(tb->cpu, DTYPE_F32, 5, view.shape);
            ref_copy(&ref, &view);
            tensor dx = dev_copy(be, &x), out = dev_output(be, DTYPE_F16, 5, view.shape);
            snprintf(name, sizeof name, "%s permute+f16 case %d", label, c);
            CHECK_OK(op_permute(&out, &dx, perms[c]));
            tensor ref16 = host_convert(tb, &ref, DTYPE_F16), ref16_32 = host_convert(tb, &ref16, DTYPE_F32);
            check_output(name, be, &out, &ref16_32, (struct tolerance){0, 0, 0});
            dev_release(&dx), dev_release(&out);
            host_release(&x), host_free(&ref), host_free(&ref16), host_free(&ref16_32);
        }
    }
}

// Creates a backend with LS_KERNEL=spec and runs the cases that variant applies to.
static void forced(struct test_backends *tb, const char *spec, bool conv, bool lin, bool copy) {
    setenv("LS_KERNEL", spec, 1);
    struct backend *be;
    ls_status s = backend_cuda_init(&be, 0);
    unsetenv("LS_KERNEL");
    CHECK(s == LS_OK, "init with LS_KERNEL=%s: %s", spec, ls_error());
    if (s != LS_OK) return;
    variant_cases(tb, be, spec, conv, lin, copy);
    backend_free(be);
}

static void no_device_checks(void) {
    int count = backend_cuda_device_count();
    CHECK(count >= 0, "device count %d", count);
    if (count > 0) return;
    struct backend *be = (struct backend *)&be; // non-NULL, must be cleared
    ls_status s = backend_cuda_init(&be, 0);
    CHECK(s == (backend_cuda_built() ? LS_ERR_DEVICE : LS_ERR_UNSUPPORTED), "init without a GPU: %s: %s",
          ls_status_name(s), ls_error());
    CHECK(be == NULL, "backend left set after a failed init");
    CHECK(strncmp(ls_error(), "cuda", 4) == 0, "message '%s' should name cuda", ls_error());
    CHECK_FAILS(backend_init_by_name("cuda:1", 1, &be), backend_cuda_built() ? LS_ERR_DEVICE : LS_ERR_UNSUPPORTED,
                "cuda");
    CHECK_FAILS(backend_init_by_name("cuda:x", 1, &be), LS_ERR_USAGE, "cuda:N");
}

static void memory_checks(struct backend *be) {
    size_t free_b = 0, total_b = 0;
    CHECK_OK(be->ops->memory_info(be->ctx, &free_b, &total_b));
    CHECK(total_b > 0 && free_b <= total_b, "memory_info: %zu free of %zu", free_b, total_b);
    void *p = (void *)1;
    CHECK_OK(backend_alloc(be, 0, &p));
    CHECK(p == NULL, "alloc of 0 bytes gave %p", p);
    backend_release(be, NULL); // no-op
    // out of memory: a request larger than the device, then the backend still works
    void *huge = NULL;
    ls_error_clear();
    ls_status s = backend_alloc(be, total_b * 4 + ((size_t)1 << 40), &huge);
    CHECK(s == LS_ERR_OOM && huge == NULL && strstr(ls_error(), "cannot allocate") && strstr(ls_error(), "free"),
          "huge alloc: %s: '%s'", ls_status_name(s), ls_error());
    // round trips of odd sizes at odd device offsets
    const size_t sizes[] = {1, 3, 4097, 1000003};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        unsigned char *src = malloc(n), *dst = malloc(n);
        for (size_t j = 0; j < n; j++)
            src[j] = (unsigned char)(j * 131 + i * 7 + 1);
        memset(dst, 0, n);
        void *d = NULL;
        CHECK_OK(backend_alloc(be, n + 3, &d));
        if (!d) continue;
        CHECK_OK(be->ops->upload(be->ctx, (char *)d + 3, src, n));
        CHECK_OK(be->ops->download(be->ctx, dst, (char *)d + 3, n));
        CHECK(memcmp(src, dst, n) == 0, "round trip of %zu bytes differs", n);
        backend_release(be, d);
        free(src), free(dst);
    }
    CHECK_OK(be->ops->sync(be->ctx));
}

// A download right after an asynchronous kernel sees its result (no explicit sync).
static void sync_checks(struct backend *be) {
    int64_t s[1] = {1 << 20};
    tensor t = dev_output(be, DTYPE_F32, 1, s);
    CHECK_OK(op_fill(&t, 7.0f));
    float *h = malloc((size_t)s[0] * 4);
    CHECK_OK(tensor_download(&t, h));
    bool all = true;
    for (int64_t i = 0; i < s[0]; i++)
        all = all && h[i] == 7.0f;
    CHECK(all, "download after fill without sync");
    free(h);
    tensor ti = dev_output(be, DTYPE_I32, 1, s);
    CHECK_OK(op_fill(&ti, -5.0f));
    int32_t *hi = malloc((size_t)s[0] * 4);
    CHECK_OK(tensor_download(&ti, hi));
    all = true;
    for (int64_t i = 0; i < s[0]; i++)
        all = all && hi[i] == -5;
    CHECK(all, "i32 fill");
    free(hi);
    dev_release(&t), dev_release(&ti);
}

static void support_checks(struct test_backends *tb, struct backend *be) {
    CHECK(be->ops->supports(be->ctx, OP_LINEAR, DTYPE_F32, DTYPE_I8), "linear f32 x i8");
    CHECK(be->ops->supports(be->ctx, OP_LINEAR, DTYPE_F16, DTYPE_BF16), "linear f16 x bf16");
    CHECK(be->ops->supports(be->ctx, OP_ATTENTION, DTYPE_F16, DTYPE_COUNT), "attention f16");
    CHECK(be->ops->supports(be->ctx, OP_COPY, DTYPE_BF16, DTYPE_F16), "copy f16 -> bf16");
    CHECK(!be->ops->supports(be->ctx, OP_SOFTMAX, DTYPE_BF16, DTYPE_COUNT), "softmax bf16 claimed");
    CHECK(!be->ops->supports(be->ctx, OP_COPY, DTYPE_I32, DTYPE_F32), "copy f32 -> i32 claimed");
    CHECK(!be->ops->supports(be->ctx, OP_LINEAR, DTYPE_F32, DTYPE_I32), "i32 weights claimed");
    int64_t s[2] = {3, 5};
    tensor a = dev_output(be, DTYPE_BF16, 2, s), b = dev_output(be, DTYPE_BF16, 2, s);
    CHECK_FAILS(op_softmax(&b, &a), LS_ERR_UNSUPPORTED, "backend cuda does not support softmax with output bf16");
    // tensors of two backends never mix
    tensor h = dev_output(tb->cpu, DTYPE_BF16, 2, s);
    CHECK_FAILS(op_copy(&b, &h), LS_ERR_INPUT, "input 0 is on backend cpu, output on cuda");
    dev_release(&a), dev_release(&b), dev_release(&h);
}

static void two_contexts(struct test_backends *tb, struct backend *be) {
    struct backend *be2;
    CHECK_OK(backend_cuda_init(&be2, 0));
    if (!be2) return;
    variant_cases(tb, be2, "second context", false, true, false);
    variant_cases(tb, be, "first context", false, true, false);
    backend_free(be2);
    variant_cases(tb, be, "first context after freeing the second", false, true, false);
}

static void ls_kernel_checks(bool have_cudnn) {
    struct backend *be = NULL;
    const char *bad[] = {"conv2d:7", "linear", "nosuchop:1", "attention:2", "copy:fast"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("LS_KERNEL", bad[i], 1);
        CHECK_FAILS(backend_cuda_init(&be, 0), LS_ERR_USAGE, "LS_KERNEL");
        CHECK(be == NULL, "backend set after failed init");
    }
    if (!have_cudnn) {
        setenv("LS_KERNEL", "conv2d:cudnn", 1);
        CHECK_FAILS(backend_cuda_init(&be, 0), LS_ERR_USAGE, "no cuDNN");
    }
    unsetenv("LS_KERNEL");
}

// A failing CUDA call (a copy into a NULL device pointer): the message names the library's error, the call
// and the site. Last, in case the driver leaves the context unusable.
static void error_message_checks(struct backend *be) {
    unsigned char buf[16] = {0};
    ls_error_clear();
    ls_status s = be->ops->upload(be->ctx, NULL, buf, sizeof buf);
    CHECK(s == LS_ERR_DEVICE && !strncmp(ls_error(), "cuda: ", 6) && strstr(ls_error(), " in cuda") &&
              strstr(ls_error(), "cuda_backend.cu:"),
          "copy to NULL: %s: '%s'", ls_status_name(s), ls_error());
    printf("error message: %s\n", ls_error());
}

int main(void) {
    no_device_checks();
    if (backend_cuda_device_count() == 0) {
        if (harness_failures) return harness_exit();
        printf("skip: no CUDA device (%d checks of the no-device path passed)\n", harness_checks);
        return 77;
    }
    struct test_backends tb;
    test_backends_init(&tb);
    struct backend *be;
    CHECK_OK(backend_cuda_init(&be, 0));
    if (!be) {
        test_backends_free(&tb);
        return harness_exit();
    }
    CHECK(!strcmp(backend_name(be), "cuda"), "name '%s'", backend_name(be));
    struct backend *none;
    CHECK_FAILS(backend_cuda_init(&none, backend_cuda_device_count()), LS_ERR_DEVICE, "no such device");
    memory_checks(be);
    sync_checks(be);
    support_checks(&tb, be);
    two_contexts(&tb, be);
    setenv("LS_KERNEL", "conv2d:cudnn", 1);
    struct backend *cudnn_be = NULL;
    ls_status s = backend_cuda_init(&cudnn_be, 0);
    unsetenv("LS_KERNEL");
    if (s == LS_OK) {
        variant_cases(&tb, cudnn_be, "conv2d:cudnn", true, false, false);
        backend_free(cudnn_be);
    } else {
        printf("note: %s\n", ls_error());
    }
    ls_kernel_checks(s == LS_OK);
    forced(&tb, "linear:1", false, true, false);
    forced(&tb, "linear:cublaslt", false, true, false);
    forced(&tb, "conv2d:direct", true, false, false);
    forced(&tb, "conv2d:2", true, false, false);
    forced(&tb, "copy:1", false, false, true);
    forced(&tb, "copy:tiled", false, false, true);
    error_message_checks(be);
    backend_free(be);
    test_backends_free(&tb);
    return harness_exit();
}
