// cmd_inspect.c — `latentsync inspect FILE [--json]`: lists a safetensors file's tensors (name, dtype,
// shape), the tensor count, total parameters and bytes, and its metadata. The file is fully validated
// first (loader/safetensors.c), so a bad file gets a one-line error and exit status 1.
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "loader.h"

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

int cmd_inspect(int argc, char **argv) {
    const char *path = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: latentsync inspect FILE.safetensors [--json]\n"
                   "  lists tensors (name, dtype, shape), totals and metadata after validating the file\n");
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--json")) json = true;
        else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "latentsync: inspect: unexpected argument '%s'\n", argv[i]);
            return EXIT_USAGE;
        } else path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: latentsync inspect FILE.safetensors [--json]\n");
        return EXIT_USAGE;
    }
    st_file *f;
    ls_status s = st_open(&f, path);
    if (s) return cli_fail(s);
    uint64_t params = 0, bytes = 0;
    int n = st_count(f);
    if (json) printf("{\"file\":"), json_string(path), printf(",\"tensors\":[");
    for (int i = 0; i < n; i++) {
        const struct st_entry *e = st_entry_at(f, i);
        uint64_t elems = 1;
        for (int d = 0; d < e->n_dims; d++) elems *= (uint64_t)e->shape[d];
        params += elems;
        bytes += e->n_bytes;
        if (json) {
            printf("%s{\"name\":", i ? "," : "");
            json_string(e->name);
            printf(",\"dtype\":\"%s\",\"shape\":[", st_dtype_name(e->dtype));
            for (int d = 0; d < e->n_dims; d++) printf("%s%lld", d ? "," : "", (long long)e->shape[d]);
            printf("]}");
        } else {
            char shape[160];
            int at = 0;
            shape[0] = '\0';
            at += snprintf(shape + at, sizeof shape - (size_t)at, "(");
            for (int d = 0; d < e->n_dims && at < (int)sizeof shape - 24; d++)
                at += snprintf(shape + at, sizeof shape - (size_t)at, d ? ", %lld" : "%lld", (long long)e->shape[d]);
            snprintf(shape + at, sizeof shape - (size_t)at, ")");
            printf("%-70s %-5s %s\n", e->name, st_dtype_name(e->dtype), shape);
        }
    }
    if (json) {
        printf("],\"count\":%d,\"parameters\":%llu,\"bytes\":%llu,\"metadata\":{", n, (unsigned long long)params,
               (unsigned long long)bytes);
        for (int i = 0; i < st_metadata_count(f); i++) {
            const char *k, *v;
            st_metadata_at(f, i, &k, &v);
            printf("%s", i ? "," : "");
            json_string(k);
            putchar(':');
            json_string(v);
        }
        printf("}}\n");
    } else {
        printf("%d tensors, %llu parameters, %.1f MiB of data\n", n, (unsigned long long)params, (double)bytes / (1 << 20));
        for (int i = 0; i < st_metadata_count(f); i++) {
            const char *k, *v;
            st_metadata_at(f, i, &k, &v);
            printf("metadata %s: %.*s%s\n", k, 200, v, strlen(v) > 200 ? "..." : "");
        }
    }
    st_close(f);
    return EXIT_OK;
}
