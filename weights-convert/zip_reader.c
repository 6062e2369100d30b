// zip_reader.c — the zip container of torch.save files, over bytes already in memory (an mmap): end of
// central directory (with zip64 locator and record), central directory entries (zip64 extra fields),
// local headers (the data offset is recomputed from the local header's own name and extra lengths). Only
// stored entries exist in torch checkpoints; a compressed entry is refused. Every size and offset is
// checked against the file, entries may not overlap each other or the central directory, and counts are
// bounded by what the directory's size can hold, so lying sizes or zip bombs give a one-line error.
// CRCs are not verified (torch's own reader does not either).
#include <stdlib.h>
#include <string.h>

#include "weights_convert.h"

struct zip_entry {
    char *name;
    uint64_t data_offset, size;
};

struct zip_archive {
    char *label;
    const uint8_t *bytes;
    uint64_t n_bytes;
    struct zip_entry *entries; // sorted by name
    int n_entries;
};

static uint16_t u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t u64(const uint8_t *p) { return (uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32; }

void zip_close(zip_archive *z) {
    if (!z) return;
    for (int i = 0; i < z->n_entries; i++) free(z->entries[i].name);
    free(z->entries);
    free(z->label);
    free(z);
}

static int cmp_entry_name(const void *a, const void *b) {
    return strcmp(((const struct zip_entry *)a)->name, ((const struct zip_entry *)b)->name);
}

static int cmp_entry_offset(const void *a, const void *b) {
    const struct zip_entry *x = *(const struct zip_entry *const *)a, *y = *(const struct zip_entry *const *)b;
    return x->data_offset < y->data_offset ? -1 : x->data_offset > y->data_offset;
}

// Finds the central directory: offset, size and entry count.
static ls_status find_directory(zip_archive *z, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count) {
    const uint8_t *b = z->bytes;
    uint64_t n = z->n_bytes;
    if (n < 22) return ls_fail(LS_ERR_INPUT, "%s: %llu bytes: not a zip file", z->label, (unsigned long long)n);
    uint64_t lowest = n > 22 + 65535 ? n - 22 - 65535 : 0;
    uint64_t eocd = UINT64_MAX;
    for (uint64_t p = n - 22 + 1; p-- > lowest;)
        if (u32(b + p) == 0x06054b50 && p + 22 + u16(b + p + 20) == n) {
            eocd = p;
            break;
        }
    if (eocd == UINT64_MAX) return ls_fail(LS_ERR_INPUT, "%s: no zip end-of-central-directory record", z->label);
    *count = u16(b + eocd + 10);
    *cd_size = u32(b + eocd + 12);
    *cd_off = u32(b + eocd + 16);
    if (u16(b + eocd + 4) != 0 || u16(b + eocd + 6) != 0)
        return ls_fail(LS_ERR_INPUT, "%s: multi-disk zip archives are not supported", z->label);
    bool zip64 = *count == 0xFFFF || *cd_size == 0xFFFFFFFFu || *cd_off == 0xFFFFFFFFu;
    if (eocd >= 20 && u32(b + eocd - 20) == 0x07064b50) {
        uint64_t rec = u64(b + eocd - 12);
        if (rec > n - 56 || u32(b + rec) != 0x06064b50)
            return ls_fail(LS_ERR_INPUT, "%s: zip64 end-of-central-directory record missing or outside the file", z->label);
        *count = u64(b + rec + 32);
        *cd_size = u64(b + rec + 40);
        *cd_off = u64(b + rec + 48);
    } else if (zip64) {
        return ls_fail(LS_ERR_INPUT, "%s: zip64 sizes without a zip64 locator", z->label);
    }
    if (*cd_off > n || *cd_size > n - *cd_off)
        return ls_fail(LS_ERR_INPUT, "%s: central directory [%llu, +%llu) outside the file (%llu bytes)", z->label,
                       (unsigned long long)*cd_off, (unsigned long long)*cd_size, (unsigned long long)n);
    if (*count > *cd_size / 46)
        return ls_fail(LS_ERR_INPUT, "%s: %llu entries cannot fit a %llu-byte central directory", z->label,
                       (unsigned long long)*count, (unsigned long long)*cd_size);
    return LS_OK;
}

static ls_status read_entry(zip_archive *z, const uint8_t *cd, uint64_t cd_end, uint64_t *pos, uint64_t cd_off,
                            struct zip_entry *e) {
    const uint8_t *b = z->bytes;
    uint64_t p = *pos;
    if (p + 46 > cd_end || u32(b + p) != 0x02014b50)
        return ls_fail(LS_ERR_INPUT, "%s: bad central directory entry at offset %llu", z->label, (unsigned long long)p);
    (void)cd;
    uint16_t method = u16(b + p + 10), name_len = u16(b + p + 28), extra_len = u16(b + p + 30), comment_len = u16(b + p + 32);
    uint64_t comp = u32(b + p + 20), size = u32(b + p + 24), local = u32(b + p + 42);
    if (p + 46 + name_len + extra_len + comment_len > cd_end)
        return ls_fail(LS_ERR_INPUT, "%s: central directory entry at %llu runs past the directory", z->label,
                       (unsigned long long)p);
    const uint8_t *name = b + p + 46, *extra = name + name_len;
    for (uint64_t x = 0; x + 4 <= extra_len;) { // zip64 extended information
        uint16_t id = u16(extra + x), len = u16(extra + x + 2);
        if (x + 4 + len > extra_len) break;
        if (id == 0x0001) {
            const uint8_t *q = extra + x + 4, *qe = q + len;
            if (size == 0xFFFFFFFFu && q + 8 <= qe) size = u64(q), q += 8;
            if (comp == 0xFFFFFFFFu && q + 8 <= qe) comp = u64(q), q += 8;
            if (local == 0xFFFFFFFFu && q + 8 <= qe) local = u64(q), q += 8;
        }
        x += 4 + (uint64_t)len;
    }
    e->name = malloc((size_t)name_len + 1);
    if (!e->name) return ls_fail(LS_ERR_OOM, "%s: out of memory", z->label);
    memcpy(e->name, name, name_len);
    e->name[name_len] = '\0';
    if (memchr(e->name, '\0', name_len)) return ls_fail(LS_ERR_INPUT, "%s: entry name with a NUL byte", z->label);
    if (method != 0)
        return ls_fail(LS_ERR_INPUT, "%s: entry '%s' is compressed (method %u); torch.save writes stored entries",
                       z->label, e->name, method);
    if (comp != size)
        return ls_fail(LS_ERR_INPUT, "%s: entry '%s': stored entry with compressed size %llu != size %llu", z->label,
                       e->name, (unsigned long long)comp, (unsigned long long)size);
    if (local > cd_off || cd_off - local < 30 || u32(b + local) != 0x04034b50)
        return ls_fail(LS_ERR_INPUT, "%s: entry '%s': local header at %llu missing or outside the file", z->label,
                       e->name, (unsigned long long)local);
    uint64_t data = local + 30 + u16(b + local + 26) + u16(b + local + 28);
    if (data > cd_off || size > cd_off - data)
        return ls_fail(LS_ERR_INPUT, "%s: entry '%s': %llu bytes at %llu run past the entries' area (%llu bytes)",
                       z->label, e->name, (unsigned long long)size, (unsigned long long)data, (unsigned long long)cd_off);
    e->data_offset = data;
    e->size = size;
    *pos = p + 46 + name_len + extra_len + comment_len;
    return LS_OK;
}

ls_status zip_open_memory(zip_archive **out, const void *bytes, size_t n_bytes, const char *label) {
    *out = NULL;
    zip_archive *z = calloc(1, sizeof *z);
    if (!z || !(z->label = strdup(label))) {
        free(z);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", label);
    }
    z->bytes = bytes;
    z->n_bytes = n_bytes;
    uint64_t cd_off = 0, cd_size = 0, count = 0;
    ls_status st = find_directory(z, &cd_off, &cd_size, &count);
    if (!st && !(z->entries = calloc((size_t)count + 1, sizeof *z->entries)))
        st = ls_fail(LS_ERR_OOM, "%s: out of memory for %llu entries", label, (unsigned long long)count);
    uint64_t pos = cd_off;
    for (uint64_t i = 0; !st && i < count; i++) {
        st = read_entry(z, z->bytes + cd_off, cd_off + cd_size, &pos, cd_off, &z->entries[i]);
        z->n_entries = (int)i + (z->entries[i].name ? 1 : 0);
    }
    if (!st && count) { // entries may not overlap (a zip bomb's classic trick)
        struct zip_entry **by_off = malloc((size_t)count * sizeof *by_off);
        if (!by_off) st = ls_fail(LS_ERR_OOM, "%s: out of memory", label);
        for (uint64_t i = 0; !st && i < count; i++) by_off[i] = &z->entries[i];
        if (!st) qsort(by_off, (size_t)count, sizeof *by_off, cmp_entry_offset);
        for (uint64_t i = 1; !st && i < count; i++)
            if (by_off[i - 1]->data_offset + by_off[i - 1]->size > by_off[i]->data_offset && by_off[i]->size)
                st = ls_fail(LS_ERR_INPUT, "%s: entries '%s' and '%s' overlap", label, by_off[i - 1]->name, by_off[i]->name);
        free(by_off);
    }
    if (!st) {
        qsort(z->entries, (size_t)z->n_entries, sizeof *z->entries, cmp_entry_name);
        for (int i = 1; !st && i < z->n_entries; i++)
            if (!strcmp(z->entries[i].name, z->entries[i - 1].name))
                st = ls_fail(LS_ERR_INPUT, "%s: entry '%s' appears twice", label, z->entries[i].name);
    }
    if (st) {
        zip_close(z);
        return st;
    }
    *out = z;
    return LS_OK;
}

int zip_count(const zip_archive *z) { return z->n_entries; }
const char *zip_name_at(const zip_archive *z, int index) {
    return index >= 0 && index < z->n_entries ? z->entries[index].name : NULL;
}

bool zip_find(const zip_archive *z, const char *name, const void **data, size_t *n_bytes) {
    struct zip_entry key = {.name = (char *)name};
    const struct zip_entry *e = bsearch(&key, z->entries, (size_t)z->n_entries, sizeof *z->entries, cmp_entry_name);
    if (!e) return false;
    *data = z->bytes + e->data_offset;
    *n_bytes = (size_t)e->size;
    return true;
}
