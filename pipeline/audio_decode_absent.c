// audio_decode_absent.c — the decoding entry points of pipeline.h for a build without libav (-Dmedia=disabled
// or the libraries not found): each fails with LS_ERR_UNSUPPORTED. The in-memory path (mel, windows,
// chunks) works without libav.
#include <stdlib.h>

#include "pipeline.h"

static ls_status absent(const char *path) {
    return ls_fail(LS_ERR_UNSUPPORTED,
                   "%s: built without media support; hint: install the libavformat, libavcodec, libavutil and "
                   "libswresample development files and reconfigure with -Dmedia=enabled",
                   path);
}

ls_status audio_reader_open(struct audio_reader **out, const char *path) {
    *out = NULL;
    return absent(path);
}
ls_status audio_reader_read(struct audio_reader *r, float *samples, size_t max, size_t *got) {
    *got = 0;
    return absent("audio");
}
ls_status audio_reader_rewind(struct audio_reader *r) { return absent("audio"); }
double audio_reader_duration_s(const struct audio_reader *r) { return 0.0; }
void audio_reader_close(struct audio_reader *r) { (void)r; }
static ls_status source_read(void *ctx, float *samples, size_t max, size_t *got) {
    *got = 0;
    return absent("audio");
}
static ls_status source_rewind(void *ctx) { return absent("audio"); }
struct audio_source audio_reader_source(struct audio_reader *r) {
    return (struct audio_source){source_read, source_rewind, r, "audio"};
}
ls_status audio_load(const char *path, double max_seconds, float **samples, size_t *n_samples) {
    *samples = NULL;
    *n_samples = 0;
    return absent(path);
}
