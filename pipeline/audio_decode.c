// audio_decode.c — any audio (wav, mp3, aac, m4a, flac, ...) or the audio track of a video (mp4, mov, mkv)
// decoded with libavformat/libavcodec and converted by libswresample to what LatentSync's load_audio
// (latentsync/whisper/whisper/audio.py) reads from `ffmpeg -i F -f s16le -ac 1 -ar 16000 -`: the same
// libraries with the CLI's defaults — best audio stream, default downmix matrix, default resampler, s16 —
// then s / 32768 (spec/pipeline.md §1.1). tests/test_audio_decode.c checks the demo files sample for sample
// against the CLI. Streaming: samples are pulled in caller-sized pieces; memory is one decoded frame.
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "av_log.h"
#include "pipeline.h"

#define MAX_BAD_PACKETS 100 // undecodable packets tolerated before a stream that is mostly bad fails

// For library calls that should not fail on any input: the av error string, the expression and file:line.
#define AV_TRY(r, expr)                                                                                                \
    do {                                                                                                               \
        int av_try_err_ = (expr);                                                                                      \
        if (av_try_err_ < 0) return av_fail((r), av_try_err_, #expr " at " __FILE__);                                  \
    } while (0)

struct audio_reader {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frame;
    int stream;
    // the input format the resampler was set up for (it follows the frames: formats may change mid-stream)
    int in_rate, in_format;
    AVChannelLayout in_layout;
    int16_t *pending; // converted samples not yet handed out
    size_t n_pending, at_pending, cap_pending;
    bool eof_input, flushed;
    int64_t n_good_packets, n_bad_packets, n_out;
};

static ls_status av_fail(const struct audio_reader *r, int err, const char *what) {
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(err, buf, sizeof buf);
    return ls_fail(LS_ERR_INPUT, "%s: %s: %s", r->path, what, buf);
}

static void close_streams(struct audio_reader *r) {
    swr_free(&r->swr);
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    av_packet_free(&r->pkt);
    av_frame_free(&r->frame);
    av_channel_layout_uninit(&r->in_layout);
    r->n_pending = r->at_pending = 0;
    r->eof_input = r->flushed = false;
    r->n_good_packets = r->n_bad_packets = r->n_out = 0;
}

void audio_reader_close(struct audio_reader *r) {
    if (!r) return;
    close_streams(r);
    free(r->pending);
    free(r->path);
    free(r);
}

static ls_status open_streams(struct audio_reader *r) {
    const char *path = r->path;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT) return ls_fail(LS_ERR_IO, "%s: no such file", path);
        return ls_fail(LS_ERR_IO, "%s: %s", path, strerror(errno));
    }
    if (S_ISDIR(sb.st_mode)) return ls_fail(LS_ERR_INPUT, "%s: is a directory, not a media file", path);
    if (S_ISREG(sb.st_mode) && sb.st_size == 0) return ls_fail(LS_ERR_INPUT, "%s: empty file (0 bytes)", path);
    int err = avformat_open_input(&r->fmt, path, NULL, NULL);
    if (err == AVERROR(EACCES)) return ls_fail(LS_ERR_IO, "%s: permission denied", path);
    if (err < 0) return av_fail(r, err, "not a media file, or corrupt");
    if ((err = avformat_find_stream_info(r->fmt, NULL)) < 0)
        return av_fail(r, err, "not a media file, or corrupt (no stream info)");
    const AVCodec *codec = NULL;
    r->stream = av_find_best_stream(r->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (r->stream == AVERROR_STREAM_NOT_FOUND) return ls_fail(LS_ERR_INPUT, "%s: no audio stream", path);
    if (r->stream < 0 || !codec) {
        const AVCodecDescriptor *d = NULL;
        for (unsigned i = 0; i < r->fmt->nb_streams && !d; i++)
            if (r->fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
                d = avcodec_descriptor_get(r->fmt->streams[i]->codecpar->codec_id);
        return ls_fail(LS_ERR_UNSUPPORTED, "%s: no decoder for the audio stream (codec %s)", path,
                       d ? d->name : "unknown");
    }
    for (unsigned i = 0; i < r->fmt->nb_streams; i++) // demux only the audio stream we decode
        r->fmt->streams[i]->discard = (int)i == r->stream ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    if (!(r->dec = avcodec_alloc_context3(codec)) || !(r->pkt = av_packet_alloc()) || !(r->frame = av_frame_alloc()))
        return ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    AV_TRY(r, avcodec_parameters_to_context(r->dec, r->fmt->streams[r->stream]->codecpar));
    if ((err = avcodec_open2(r->dec, codec, NULL)) < 0) return av_fail(r, err, "cannot open the audio decoder");
    return LS_OK;
}

ls_status audio_reader_open(struct audio_reader **out, const char *path) {
    *out = NULL;
    av_log_quiet();
    struct audio_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    }
    ls_status st = open_streams(r);
    if (st) {
        audio_reader_close(r);
        return st;
    }
    *out = r;
    return LS_OK;
}

ls_status audio_reader_rewind(struct audio_reader *r) {
    // reopening (not seeking) gives the first pass's samples exactly: no decoder or resampler state survives
    close_streams(r);
    return open_streams(r);
}

double audio_reader_duration_s(const struct audio_reader *r) {
    return r->fmt && r->fmt->duration > 0 ? (double)r->fmt->duration / AV_TIME_BASE : 0.0;
}

static ls_status append_converted(struct audio_reader *r, const uint8_t **in, int n_in) {
    int room = swr_get_out_samples(r->swr, n_in);
    AV_TRY(r, room);
    size_t need = r->n_pending + (size_t)room;
    if (need > r->cap_pending) {
        size_t cap = need * 2 + 4096;
        int16_t *p = realloc(r->pending, cap * sizeof *p);
        if (!p) return ls_fail(LS_ERR_OOM, "%s: out of memory for %zu samples", r->path, cap);
        r->pending = p, r->cap_pending = cap;
    }
    uint8_t *dst = (uint8_t *)(r->pending + r->n_pending);
    int got = swr_convert(r->swr, &dst, room, in, n_in);
    if (got < 0) return av_fail(r, got, "resampling failed");
    r->n_pending += (size_t)got;
    return LS_OK;
}

// (Re)builds the resampler for the frame's format: (rate, format, layout) -> 16 kHz mono s16. A layout
// without channel order gets the default for its channel count, as the ffmpeg CLI guesses it.
static ls_status setup_resampler(struct audio_reader *r, const AVFrame *f) {
    AVChannelLayout layout = {0};
    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&layout, f->ch_layout.nb_channels);
    else
        AV_TRY(r, av_channel_layout_copy(&layout, &f->ch_layout));
    if (r->swr && r->in_rate == f->sample_rate && r->in_format == f->format &&
        !av_channel_layout_compare(&layout, &r->in_layout)) {
        av_channel_layout_uninit(&layout);
        return LS_OK;
    }
    ls_status st = LS_OK;
    if (f->sample_rate <= 0 || f->sample_rate > 1000000 || layout.nb_channels <= 0 || layout.nb_channels > 64)
        st =
            ls_fail(LS_ERR_INPUT, "%s: corrupt audio: %d Hz, %d channels", r->path, f->sample_rate, layout.nb_channels);
    if (!st && r->swr) st = append_converted(r, NULL, 0); // the old format's tail, then a new resampler
    if (!st) {
        swr_free(&r->swr);
        AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
        int err = swr_alloc_set_opts2(&r->swr, &mono, AV_SAMPLE_FMT_S16, AUDIO_RATE, &layout, f->format, f->sample_rate,
                                      0, NULL);
        if (err >= 0) err = swr_init(r->swr);
        if (err < 0) st = av_fail(r, err, "cannot convert this audio format to 16 kHz mono");
    }
    av_channel_layout_uninit(&r->in_layout);
    r->in_layout = layout;
    r->in_rate = f->sample_rate, r->in_format = f->format;
    return st;
}

static ls_status bad_packet(struct audio_reader *r, int err) {
    if (r->n_bad_packets++ == 0) log_msg(LOG_WARN, "%s: skipping undecodable audio data", r->path);
    if (r->n_bad_packets >= MAX_BAD_PACKETS && r->n_bad_packets > r->n_good_packets)
        return ls_fail(LS_ERR_INPUT, "%s: corrupt audio: %lld of %lld packets undecodable", r->path,
                       (long long)r->n_bad_packets, (long long)(r->n_bad_packets + r->n_good_packets));
    return LS_OK;
}

// Decodes until some converted samples are pending or the stream ends.
static ls_status refill(struct audio_reader *r) {
    r->n_pending = r->at_pending = 0;
    while (r->n_pending == 0 && !r->flushed) {
        int err = avcodec_receive_frame(r->dec, r->frame);
        if (err == 0) {
            ls_status st = setup_resampler(r, r->frame);
            if (!st) st = append_converted(r, (const uint8_t **)r->frame->extended_data, r->frame->nb_samples);
            av_frame_unref(r->frame);
            LS_TRY(st);
            continue;
        }
        if (err == AVERROR_EOF) {
            if (r->swr) LS_TRY(append_converted(r, NULL, 0)); // the resampler's delayed tail
            r->flushed = true;
            if (r->n_out + (int64_t)r->n_pending == 0 && r->n_bad_packets > 0)
                return ls_fail(LS_ERR_INPUT, "%s: corrupt audio: none of %lld packets decodable", r->path,
                               (long long)r->n_bad_packets);
            break;
        }
        if (err != AVERROR(EAGAIN)) { // a decoding error in a frame: skipped, as the CLI does
            LS_TRY(bad_packet(r, err));
            continue;
        }
        if (r->eof_input) return av_fail(r, AVERROR_BUG, "the audio decoder did not drain");
        err = av_read_frame(r->fmt, r->pkt);
        if (err == AVERROR_EOF) {
            r->eof_input = true;
            avcodec_send_packet(r->dec, NULL);
            continue;
        }
        if (err < 0) return av_fail(r, err, "cannot read the file");
        if (r->pkt->stream_index == r->stream) {
            err = avcodec_send_packet(r->dec, r->pkt); // never EAGAIN: every frame was received before
            if (err < 0) {
                av_packet_unref(r->pkt);
                LS_TRY(bad_packet(r, err));
                continue;
            }
            r->n_good_packets++;
        }
        av_packet_unref(r->pkt);
    }
    r->n_out += (int64_t)r->n_pending;
    return LS_OK;
}

ls_status audio_reader_read(struct audio_reader *r, float *samples, size_t max, size_t *got) {
    *got = 0;
    while (*got < max) {
        if (r->at_pending == r->n_pending) {
            if (r->flushed) break;
            LS_TRY(refill(r));
            if (r->n_pending == 0) break;
        }
        size_t take = r->n_pending - r->at_pending;
        if (take > max - *got) take = max - *got;
        for (size_t i = 0; i < take; i++)
            samples[*got + i] = (float)r->pending[r->at_pending + i] / 32768.0f;
        r->at_pending += take;
        *got += take;
    }
    return LS_OK;
}

static ls_status reader_read(void *ctx, float *samples, size_t max, size_t *got) {
    return audio_reader_read(ctx, samples, max, got);
}
static ls_status reader_rewind(void *ctx) { return audio_reader_rewind(ctx); }

struct audio_source audio_reader_source(struct audio_reader *r) {
    return (struct audio_source){reader_read, reader_rewind, r, r->path};
}

ls_status audio_load(const char *path, double max_seconds, float **samples, size_t *n_samples) {
    *samples = NULL;
    *n_samples = 0;
    struct audio_reader *r;
    LS_TRY(audio_reader_open(&r, path));
    size_t cap = 1 << 16, n = 0, limit = (size_t)(max_seconds * AUDIO_RATE);
    float *buf = malloc(cap * sizeof *buf);
    ls_status st = buf ? LS_OK : ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    while (!st) {
        if (n == cap) {
            float *p = realloc(buf, 2 * cap * sizeof *p);
            if (!p) {
                st = ls_fail(LS_ERR_OOM, "%s: out of memory for %zu samples", path, 2 * cap);
                break;
            }
            buf = p, cap *= 2;
        }
        size_t got;
        st = audio_reader_read(r, buf + n, cap - n, &got);
        if (st || got == 0) break;
        n += got;
        if (n > limit)
            st = ls_fail(LS_ERR_INPUT, "%s: longer than %.0f s, the limit for loading a whole file", path, max_seconds);
    }
    if (!st && n == 0) st = ls_fail(LS_ERR_INPUT, "%s: the audio stream is empty (0 samples)", path);
    audio_reader_close(r);
    if (st) {
        free(buf);
        return st;
    }
    *samples = buf;
    *n_samples = n;
    return LS_OK;
}
