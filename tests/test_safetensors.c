// test_safetensors.c — the safetensors reader and writer: round trip of every dtype, rank-0 and empty
// tensors, metadata, lookups among many names, the writer's temp-file discipline (abort and failure leave
// nothing behind), and the corpus of malformed files in tests/data/safetensors_bad with the fragment each
// one-line error must contain (tests/reference/make_bad_safetensors.py).
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "loader.h"

static void round_trip(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/rt.safetensors", dir);
    st_writer *w;
    CHECK_OK(st_writer_open(&w, path));
    CHECK_OK(st_writer_metadata(w, "kind", "test"));
    CHECK_OK(st_writer_metadata(w, "config", "{\"a\": [1, 2]}"));
    CHECK_FAILS(st_writer_metadata(w, "kind", "again"), LS_ERR_INPUT, "twice");
    uint8_t data[4096];
    for (int i = 0; i < 4096; i++) data[i] = (uint8_t)(i * 7);
    size_t total = 0;
    char name[32];
    for (int dt = 0; dt < ST_DTYPE_COUNT; dt++) {
        snprintf(name, sizeof name, "t%02d", dt);
        CHECK_OK(st_writer_declare(w, name, (st_dtype)dt, 2, (int64_t[]){3, 5}));
        total += 15 * st_dtype_size((st_dtype)dt);
    }
    CHECK_OK(st_writer_declare(w, "scalar", ST_F32, 0, NULL));
    CHECK_OK(st_writer_declare(w, "empty", ST_F16, 3, (int64_t[]){4, 0, 2}));
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "many.%03d.weight", (i * 37) % 300);
        CHECK_OK(st_writer_declare(w, name, ST_I32, 1, (int64_t[]){1}));
    }
    CHECK_FAILS(st_writer_declare(w, "scalar", ST_F32, 0, NULL), LS_ERR_INPUT, "twice");
    total += 4 + 0 + 300 * 4;
    CHECK_OK(st_writer_begin_data(w));
    CHECK_FAILS(st_writer_metadata(w, "late", "x"), LS_ERR_USAGE, "after the data");
    size_t done = 0;
    while (done < total) { // stream in odd-sized chunks
        size_t n = total - done < 1000 ? total - done : 1000;
        CHECK_OK(st_writer_write(w, data + done % 3000, n));
        done += n;
    }
    CHECK(access(path, F_OK) != 0, "nothing at the final path before finish");
    CHECK_OK(st_writer_finish(w));
    st_file *f;
    CHECK_OK(st_open(&f, path));
    CHECK(st_count(f) == ST_DTYPE_COUNT + 2 + 300, "count %d", st_count(f));
    CHECK(st_metadata(f, "kind") && !strcmp(st_metadata(f, "kind"), "test"), "metadata");
    CHECK(st_metadata(f, "nope") == NULL && st_metadata_count(f) == 2, "metadata count");
    const struct st_entry *e = st_find(f, "t09");
    CHECK(e && e->dtype == ST_F32 && e->n_dims == 2 && e->shape[1] == 5 && e->n_bytes == 60, "entry");
    e = st_find(f, "scalar");
    CHECK(e && e->n_dims == 0 && e->n_bytes == 4, "rank-0");
    e = st_find(f, "empty");
    CHECK(e && e->n_bytes == 0 && e->shape[1] == 0, "zero-size");
    bool all = true;
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "many.%03d.weight", i);
        all = all && st_find(f, name) != NULL;
    }
    CHECK(all && !st_find(f, "many.300.weight") && !st_find(f, ""), "lookups");
    // data in declaration order, streamed in 1000-byte chunks of data[done % 3000 ...]
    size_t at = 0;
    bool same = true;
    for (int dt = 0; dt < ST_DTYPE_COUNT; dt++) {
        snprintf(name, sizeof name, "t%02d", dt);
        e = st_find(f, name);
        for (size_t i = 0; e && i < e->n_bytes; i++, at++) {
            size_t chunk = at / 1000 * 1000;
            same = same && ((const uint8_t *)e->data)[i] == data[chunk % 3000 + (at - chunk)];
        }
    }
    CHECK(same, "bytes read back");
    tensor t;
    CHECK_OK(st_tensor(f, "t09", &t));
    CHECK(t.dtype == DTYPE_F32 && t.shape[0] == 3 && tensor_is_contiguous(&t), "runtime view");
    CHECK_FAILS(st_tensor(f, "t10", &t), LS_ERR_DTYPE, "F64");
    CHECK_FAILS(st_tensor(f, "absent", &t), LS_ERR_INPUT, "not found");
    st_close(f);
    st_close(NULL);

    // st_save + byte-exact content
    float v[6] = {1, 2, 3, 4, 5, 6};
    tensor tv;
    CHECK_OK(tensor_wrap(&tv, NULL, DTYPE_F32, 2, (int64_t[]){2, 3}, v));
    const tensor *ts[1] = {&tv};
    CHECK_OK(st_save(path, 1, (const char *[]){"v"}, ts, 1, (const char *[]){"k"}, (const char *[]){"value"}));
    CHECK_OK(st_open(&f, path));
    e = st_find(f, "v");
    CHECK(e && !memcmp(e->data, v, sizeof v), "st_save bytes");
    st_close(f);
    unlink(path);

    // abort and failures leave nothing behind
    CHECK_OK(st_writer_open(&w, path));
    CHECK_OK(st_writer_declare(w, "x", ST_F32, 1, (int64_t[]){4}));
    CHECK_OK(st_writer_write(w, data, 8));
    st_writer_abort(w);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(access(path, F_OK) != 0 && access(tmp, F_OK) != 0, "abort leaves no file");
    CHECK_OK(st_writer_open(&w, path));
    CHECK_OK(st_writer_declare(w, "x", ST_F32, 1, (int64_t[]){4}));
    CHECK_OK(st_writer_write(w, data, 8));
    CHECK_FAILS(st_writer_finish(w), LS_ERR_INPUT, "8 of 16 declared bytes");
    CHECK(access(path, F_OK) != 0 && access(tmp, F_OK) != 0, "incomplete write leaves no file");
    CHECK_FAILS(st_writer_open(&w, "/nonexistent-dir/x.safetensors"), LS_ERR_IO, "cannot create");
}

static void corpus(const char *data_dir) {
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/safetensors_bad/expected.txt", data_dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    if (!f) return;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = '\0';
        char *frag = tab + 1;
        frag[strcspn(frag, "\n")] = '\0';
        snprintf(path, sizeof path, "%s/safetensors_bad/%s.safetensors", data_dir, line);
        st_file *sf = NULL;
        ls_error_clear();
        ls_status s = st_open(&sf, path);
        CHECK(s != LS_OK && sf == NULL && strstr(ls_error(), frag) && strstr(ls_error(), line) && !strchr(ls_error(), '\n'),
              "%s: status %d, message '%s', expected '%s'", line, s, ls_error(), frag);
        st_close(sf);
        n++;
    }
    fclose(f);
    CHECK(n >= 25, "corpus has %d files", n);
    st_file *sf;
    CHECK_FAILS(st_open(&sf, "/nonexistent/file.safetensors"), LS_ERR_IO, "cannot open");
    CHECK_FAILS(st_open(&sf, "/"), LS_ERR_INPUT, "not a regular file");
}

// Hostile inputs made at run time (too big to commit, or not files): a FIFO must not hang the open, and a
// header of millions of tiny JSON values within the size limit is refused before cJSON builds it.
static void hostile(const char *dir) {
    char path[256];
    snprintf(path, sizeof path, "%s/fifo.safetensors", dir);
    if (mkfifo(path, 0600) == 0) {
        st_file *f;
        CHECK_FAILS(st_open(&f, path), LS_ERR_INPUT, "not a regular file");
        unlink(path);
    }
    size_t n = 16 + ((size_t)5 << 21); // {"a":[0,0,0,...]} with 5 Mi values
    uint8_t *b = malloc(n + 16);
    if (!b) return;
    size_t len = 0;
    memcpy(b + 8, "{\"a\":[", 6), len = 6;
    for (size_t i = 0; i < (size_t)5 << 20; i++) b[8 + len++] = '0', b[8 + len++] = ',';
    b[8 + len - 1] = ']', b[8 + len++] = '}';
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)len >> (8 * i));
    st_file *f;
    CHECK_FAILS(st_open_memory(&f, b, 8 + len, "values.safetensors"), LS_ERR_INPUT, "JSON values");
    free(b);
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: test_safetensors DATA_DIR\n"), 2;
    char dir[] = "/tmp/ls_st_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    round_trip(dir);
    corpus(argv[1]);
    hostile(dir);
    rmdir(dir);
    return harness_exit();
}
