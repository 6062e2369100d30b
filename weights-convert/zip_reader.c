// zip_reader.c — the zip container of PyTorch checkpoints (torch.save since 1.6 writes a zip of STORED
// entries through caffe2's PyTorchStreamWriter: `<top>/data.pkl`, `<top>/data/<key>`, `<top>/version`,
// data aligned to 64 bytes with padding in the local header's extra field, sizes in data descriptors, and
// always a zip64 end record). Reads the end of central directory (searching the last 64 KiB + 22 bytes),
// the zip64 locator and record, the central directory with zip64 extra fields, then every local header to
// find where the data really starts. Every size and offset is checked against the file before use: entries
// must lie before the central directory, be disjoint and unique, and stored sizes must agree, so a lying
// or zip-bomb-sized file is an error, never a read past the mapping. Fuzzed by tests/fuzz/fuzz_zip.c.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weights-convert-impl.h"

enum {
    SIG_LOCAL = 0x04034b50,
    SIG_CENTRAL = 0x02014b50,
    SIG_EOCD = 0x06054b50,
    SIG_ZIP64_EOCD = 0x06064b50,
    SIG_ZIP64_LOCATOR = 0x07064b50,
    EOCD_BYTES = 22,
    ZIP64_LOCATOR_BYTES = 20,
    ZIP64_EOCD_BYTES = 56,
    CENTRAL_BYTES = 46,
    LOCAL_BYTES = 30,
    MAX_COMMENT_BYTES = 65535,
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

// A name made safe for a one-line message: control and non-ASCII bytes as '?', long names cut.
void wc_printable(char *dst, size_t dst_bytes, const char *s) {
    size_t n = 0, max = dst_bytes > 4 ? dst_bytes - 4 : 0;
    for (; s[n] && n < max; n++)
        dst[n] = (unsigned char)s[n] >= 0x20 && (unsigned char)s[n] < 0x7f ? s[n] : '?';
    if (s[n]) memcpy(dst + n, "...", 3), n += 3;
    dst[n] = '\0';
}

static ls_status zfail(const zip_archive *z, const char *what) {
    return ls_fail(LS_ERR_INPUT, "%s: %s", z->label, what);
}

#define ZFAIL(...)                                                                                                     \
    do {                                                                                                               \
        char zmsg_[512];                                                                                               \
        snprintf(zmsg_, sizeof zmsg_, __VA_ARGS__);                                                                    \
        return zfail(z, zmsg_);                                                                                        \
    } while (0)

// --- end of central directory ----------------------------------------------------------------------------

struct cd_location {
    uint64_t offset, n_bytes, n_entries;
    uint64_t end; // where the central directory must end: the zip64 record or the end record
};

static ls_status find_eocd(const zip_archive *z, size_t *pos_out) {
    if (z->n_bytes < EOCD_BYTES)
        ZFAIL("not a zip file (%zu bytes, too short for an end of central directory record)", z->n_bytes);
    size_t start = z->n_bytes - EOCD_BYTES;
    size_t stop = start > MAX_COMMENT_BYTES ? start - MAX_COMMENT_BYTES : 0;
    for (size_t pos = start + 1; pos-- > stop;) {
        const uint8_t *p = z->bytes + pos;
        // The comment must reach exactly to the end: a signature inside a comment or a truncated file fails.
        if (rd32(p) == SIG_EOCD && pos + EOCD_BYTES + rd16(p + 20) == z->n_bytes) {
            *pos_out = pos;
            return LS_OK;
        }
    }
    ZFAIL("no end of central directory record in the last %zu bytes (not a zip file, or truncated)", z->n_bytes - stop);
}

static ls_status read_zip64_end(const zip_archive *z, size_t eocd_pos, struct cd_location *cd) {
    size_t loc_pos = eocd_pos - ZIP64_LOCATOR_BYTES;
    const uint8_t *loc = z->bytes + loc_pos;
    uint32_t record_disk = rd32(loc + 4), n_disks = rd32(loc + 16);
    uint64_t rec_pos = rd64(loc + 8);
    if (record_disk != 0 || n_disks > 1)
        ZFAIL("zip64 locator names disk %u of %u (multi-disk archives are not supported)", record_disk, n_disks);
    if (rec_pos > loc_pos || loc_pos - rec_pos < ZIP64_EOCD_BYTES)
        ZFAIL("zip64 end record offset %llu does not leave room before the locator at %zu", (unsigned long long)rec_pos,
              loc_pos);
    const uint8_t *rec = z->bytes + rec_pos;
    if (rd32(rec) != SIG_ZIP64_EOCD)
        ZFAIL("bad zip64 end record signature at offset %llu", (unsigned long long)rec_pos);
    uint64_t rec_size = rd64(rec + 4); // bytes after this field
    if (rec_size < ZIP64_EOCD_BYTES - 12 || rec_size > loc_pos - rec_pos - 12)
        ZFAIL("zip64 end record claims %llu bytes, room for %llu", (unsigned long long)rec_size,
              (unsigned long long)(loc_pos - rec_pos - 12));
    uint32_t disk = rd32(rec + 16), cd_disk = rd32(rec + 20);
    uint64_t n_disk = rd64(rec + 24);
    if (disk != 0 || cd_disk != 0) ZFAIL("multi-disk zip archives are not supported (disk %u, %u)", disk, cd_disk);
    cd->n_entries = rd64(rec + 32);
    if (n_disk != cd->n_entries)
        ZFAIL("zip64 end record counts %llu entries on this disk and %llu in all", (unsigned long long)n_disk,
              (unsigned long long)cd->n_entries);
    cd->n_bytes = rd64(rec + 40);
    cd->offset = rd64(rec + 48);
    cd->end = rec_pos;
    return LS_OK;
}

static ls_status locate_central_directory(const zip_archive *z, struct cd_location *cd) {
    size_t pos = 0;
    LS_TRY(find_eocd(z, &pos));
    const uint8_t *p = z->bytes + pos;
    uint16_t disk = rd16(p + 4), cd_disk = rd16(p + 6), n_disk = rd16(p + 8), n_total = rd16(p + 10);
    uint32_t cd_bytes = rd32(p + 12), cd_offset = rd32(p + 16);
    bool wants64 = n_disk == 0xffff || n_total == 0xffff || cd_bytes == 0xffffffffu || cd_offset == 0xffffffffu;
    bool has64 = pos >= ZIP64_LOCATOR_BYTES && rd32(p - ZIP64_LOCATOR_BYTES) == SIG_ZIP64_LOCATOR;
    if (has64) return read_zip64_end(z, pos, cd);
    if (wants64) ZFAIL("end of central directory needs zip64 values but there is no zip64 locator");
    if (disk != 0 || cd_disk != 0) ZFAIL("multi-disk zip archives are not supported (disk %u, %u)", disk, cd_disk);
    if (n_disk != n_total) ZFAIL("end record counts %u entries on this disk and %u in all", n_disk, n_total);
    *cd = (struct cd_location){.offset = cd_offset, .n_bytes = cd_bytes, .n_entries = n_total, .end = pos};
    return LS_OK;
}

// --- central directory -----------------------------------------------------------------------------------

// Replaces the 0xffff.. placeholders of one entry with the values of its zip64 extra field (id 0x0001).
static ls_status read_zip64_extra(const zip_archive *z, struct zip_entry *e, const uint8_t *extra, size_t n,
                                  bool need_usize, bool need_csize, bool need_offset, bool need_disk, uint32_t *disk) {
    char name[80];
    wc_printable(name, sizeof name, e->name);
    bool need = need_usize || need_csize || need_offset || need_disk;
    bool found = false;
    for (size_t at = 0; at < n;) {
        if (n - at < 4) ZFAIL("entry '%s': extra field truncated (%zu bytes left)", name, n - at);
        uint16_t id = rd16(extra + at), size = rd16(extra + at + 2);
        if (size > n - at - 4)
            ZFAIL("entry '%s': extra field 0x%04x claims %u bytes, %zu left", name, id, size, n - at - 4);
        if (id == 0x0001 && !found) {
            found = true;
            const uint8_t *f = extra + at + 4;
            size_t left = size;
            uint64_t *targets[3] = {need_usize ? &e->n_bytes_uncompressed : NULL, need_csize ? &e->n_bytes : NULL,
                                    need_offset ? &e->header_offset : NULL};
            for (int k = 0; k < 3; k++) {
                if (!targets[k]) continue;
                if (left < 8) ZFAIL("entry '%s': zip64 extra field too short (%u bytes)", name, size);
                *targets[k] = rd64(f), f += 8, left -= 8;
            }
            if (need_disk) {
                if (left < 4) ZFAIL("entry '%s': zip64 extra field too short (%u bytes)", name, size);
                *disk = rd32(f);
            }
        }
        at += 4 + (size_t)size;
    }
    if (need && !found) ZFAIL("entry '%s': sizes or offset need a zip64 extra field, and there is none", name);
    return LS_OK;
}

static ls_status read_central_directory(zip_archive *z, const struct cd_location *cd) {
    if (cd->offset > cd->end || cd->n_bytes > cd->end - cd->offset)
        ZFAIL("central directory (offset %llu, %llu bytes) does not end before the end record at %llu",
              (unsigned long long)cd->offset, (unsigned long long)cd->n_bytes, (unsigned long long)cd->end);
    if (cd->n_entries > cd->n_bytes / CENTRAL_BYTES || cd->n_entries > ZIP_MAX_ENTRIES)
        ZFAIL("entry count %llu does not fit a central directory of %llu bytes (at most %d entries)",
              (unsigned long long)cd->n_entries, (unsigned long long)cd->n_bytes, ZIP_MAX_ENTRIES);
    z->entries = calloc(cd->n_entries ? cd->n_entries : 1, sizeof *z->entries);
    if (!z->entries)
        return ls_fail(LS_ERR_OOM, "%s: no memory for %llu zip entries", z->label, (unsigned long long)cd->n_entries);
    const uint8_t *p = z->bytes + cd->offset, *end = p + cd->n_bytes;
    for (size_t i = 0; i < cd->n_entries; i++) {
        if ((size_t)(end - p) < CENTRAL_BYTES) ZFAIL("central directory entry %zu runs past the central directory", i);
        if (rd32(p) != SIG_CENTRAL)
            ZFAIL("central directory entry %zu: bad signature 0x%08x at offset %llu", i, rd32(p),
                  (unsigned long long)(p - z->bytes));
        uint16_t flags = rd16(p + 8), method = rd16(p + 10), disk16 = rd16(p + 34);
        uint32_t crc = rd32(p + 16), csize = rd32(p + 20), usize = rd32(p + 24), offset = rd32(p + 42);
        size_t name_len = rd16(p + 28), extra_len = rd16(p + 30), comment_len = rd16(p + 32);
        if (name_len + extra_len + comment_len > (size_t)(end - p) - CENTRAL_BYTES)
            ZFAIL("central directory entry %zu: name, extra and comment (%zu bytes) run past the central directory", i,
                  name_len + extra_len + comment_len);
        const uint8_t *name = p + CENTRAL_BYTES;
        if (name_len == 0 || memchr(name, 0, name_len))
            ZFAIL("central directory entry %zu: empty name or a NUL byte in it", i);
        struct zip_entry *e = &z->entries[i];
        z->n_entries = i + 1; // so zip_close frees the names made so far
        e->name = malloc(name_len + 1);
        if (!e->name) return ls_fail(LS_ERR_OOM, "%s: no memory for entry names", z->label);
        memcpy(e->name, name, name_len);
        e->name[name_len] = '\0';
        e->method = method, e->crc32 = crc;
        e->n_bytes = csize, e->n_bytes_uncompressed = usize, e->header_offset = offset;
        uint32_t disk = disk16;
        LS_TRY(read_zip64_extra(z, e, name + name_len, extra_len, usize == 0xffffffffu, csize == 0xffffffffu,
                                offset == 0xffffffffu, disk16 == 0xffff, &disk));
        char pname[80];
        wc_printable(pname, sizeof pname, e->name);
        if (flags & 1) ZFAIL("entry '%s' is encrypted", pname);
        if (disk != 0) ZFAIL("entry '%s' starts on disk %u (multi-disk archives are not supported)", pname, disk);
        p += CENTRAL_BYTES + name_len + extra_len + comment_len;
    }
    if (p != end)
        ZFAIL("central directory has %zu bytes after its %llu entries", (size_t)(end - p),
              (unsigned long long)cd->n_entries);
    return LS_OK;
}

// --- local headers, overlaps, names ------------------------------------------------------------------------

static ls_status read_local_header(const zip_archive *z, struct zip_entry *e, uint64_t cd_offset) {
    char name[80];
    wc_printable(name, sizeof name, e->name);
    if (e->header_offset > cd_offset || cd_offset - e->header_offset < LOCAL_BYTES)
        ZFAIL("entry '%s': local header offset %llu is not before the central directory at %llu", name,
              (unsigned long long)e->header_offset, (unsigned long long)cd_offset);
    const uint8_t *h = z->bytes + e->header_offset;
    if (rd32(h) != SIG_LOCAL)
        ZFAIL("entry '%s': bad local header signature 0x%08x at offset %llu", name, rd32(h),
              (unsigned long long)e->header_offset);
    size_t name_len = rd16(h + 26), extra_len = rd16(h + 28);
    uint64_t data = e->header_offset + LOCAL_BYTES + name_len + extra_len;
    if (data > cd_offset)
        ZFAIL("entry '%s': local header (%zu name and %zu extra bytes) runs into the central directory", name, name_len,
              extra_len);
    if (name_len != strlen(e->name) || memcmp(h + LOCAL_BYTES, e->name, name_len) != 0)
        ZFAIL("entry '%s': local header names a different file than the central directory", name);
    if (rd16(h + 8) != e->method)
        ZFAIL("entry '%s': local header says method %u, central directory %u", name, rd16(h + 8), e->method);
    e->data_offset = data;
    if (e->n_bytes > cd_offset - data)
        ZFAIL("entry '%s': %llu bytes at offset %llu extend past the central directory at %llu (file is %zu bytes)",
              name, (unsigned long long)e->n_bytes, (unsigned long long)data, (unsigned long long)cd_offset,
              z->n_bytes);
    if (e->method == ZIP_STORED && e->n_bytes != e->n_bytes_uncompressed)
        ZFAIL("stored entry '%s' declares %llu bytes stored but %llu bytes uncompressed", name,
              (unsigned long long)e->n_bytes, (unsigned long long)e->n_bytes_uncompressed);
    return LS_OK;
}

// qsort has no context argument: the archive being sorted, per thread.
static _Thread_local const zip_archive *sort_ctx;

static int by_offset(const void *a, const void *b) {
    const struct zip_entry *x = &sort_ctx->entries[*(const size_t *)a], *y = &sort_ctx->entries[*(const size_t *)b];
    return x->header_offset < y->header_offset ? -1 : x->header_offset > y->header_offset;
}

static int by_name(const void *a, const void *b) {
    return strcmp(sort_ctx->entries[*(const size_t *)a].name, sort_ctx->entries[*(const size_t *)b].name);
}

static ls_status check_layout(zip_archive *z) {
    size_t n = z->n_entries;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return ls_fail(LS_ERR_OOM, "%s: no memory for %zu zip entries", z->label, n);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    sort_ctx = z;
    qsort(order, n, sizeof *order, by_offset);
    for (size_t i = 0; i + 1 < n; i++) {
        const struct zip_entry *a = &z->entries[order[i]], *b = &z->entries[order[i + 1]];
        if (a->data_offset + a->n_bytes > b->header_offset) {
            char na[80], nb[80];
            wc_printable(na, sizeof na, a->name), wc_printable(nb, sizeof nb, b->name);
            free(order);
            ZFAIL("entries '%s' (offset %llu, %llu bytes) and '%s' (offset %llu) overlap", na,
                  (unsigned long long)a->header_offset, (unsigned long long)a->n_bytes, nb,
                  (unsigned long long)b->header_offset);
        }
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort(order, n, sizeof *order, by_name);
    sort_ctx = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (!strcmp(z->entries[order[i]].name, z->entries[order[i + 1]].name)) {
            char nm[80];
            wc_printable(nm, sizeof nm, z->entries[order[i]].name);
            free(order);
            ZFAIL("entry '%s' appears twice", nm);
        }
    z->by_name = order;
    return LS_OK;
}

ls_status zip_open(zip_archive *z, const void *bytes, size_t n_bytes, const char *label) {
    *z = (zip_archive){.bytes = bytes, .n_bytes = n_bytes, .label = label};
    struct cd_location cd;
    ls_status s = locate_central_directory(z, &cd);
    if (s == LS_OK) s = read_central_directory(z, &cd);
    for (size_t i = 0; s == LS_OK && i < z->n_entries; i++)
        s = read_local_header(z, &z->entries[i], cd.offset);
    if (s == LS_OK) s = check_layout(z);
    if (s != LS_OK) zip_close(z);
    return s;
}

void zip_close(zip_archive *z) {
    for (size_t i = 0; z->entries && i < z->n_entries; i++)
        free(z->entries[i].name);
    free(z->entries);
    free(z->by_name);
    *z = (zip_archive){0};
}

const struct zip_entry *zip_find(const zip_archive *z, const char *name) {
    size_t lo = 0, hi = z->by_name ? z->n_entries : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct zip_entry *e = &z->entries[z->by_name[mid]];
        int c = strcmp(name, e->name);
        if (c == 0) return e;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

ls_status zip_data(const zip_archive *z, const struct zip_entry *e, const uint8_t **data, uint64_t *n_bytes) {
    if (e->method != ZIP_STORED) {
        char name[80];
        wc_printable(name, sizeof name, e->name);
        ZFAIL("entry '%s' is compressed (method %u%s); torch.save writes stored entries; hint: re-save it with "
              "torch.save, or re-zip with no compression (zip -0)",
              name, e->method, e->method == ZIP_DEFLATED ? ", deflate" : "");
    }
    *data = z->bytes + e->data_offset;
    *n_bytes = e->n_bytes;
    return LS_OK;
}

// --- CRC-32 (slice-by-8) -------------------------------------------------------------------------------------

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

uint32_t zip_crc32(uint32_t crc, const uint8_t *p, size_t n) {
    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = rd32(p) ^ crc, hi = rd32(p + 4);
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
              crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
    }
    while (n--)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

ls_status zip_check_crc(const zip_archive *z, const struct zip_entry *e) {
    const uint8_t *data;
    uint64_t n;
    LS_TRY(zip_data(z, e, &data, &n));
    uint32_t crc = zip_crc32(0, data, n);
    if (crc != e->crc32) {
        char name[80];
        wc_printable(name, sizeof name, e->name);
        ZFAIL("entry '%s': CRC-32 0x%08x, the central directory says 0x%08x (file damaged)", name, crc, e->crc32);
    }
    return LS_OK;
}
