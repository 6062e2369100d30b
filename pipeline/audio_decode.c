// audio_decode.c — any audio (wav, mp3, aac, m4a, flac, the audio track of mp4/mov/mkv) decoded with
// libavformat/libavcodec and converted with libswresample to what LatentSync's load_audio gets from
// `ffmpeg -ac 1 -ar 16000 -f s16le` (the same library, default resampler and downmix), then s / 32768.
// Streaming: samples are pulled in caller-sized pieces, so a three-hour file needs no three-hour buffer.
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "av_log.h"

struct audio_reader {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frame;
    int stream;
    int16_t *pending; // converted samples not yet handed out
    size_t n_pending, at_pending, cap_pending;
    bool eof_input, flushed;
    int n_bad_packets;
};

static ls_status av_fail(const struct audio_reader *r, int err, const char *what) {
    char buf[128];
    av_strerror(err, buf, sizeof buf);
    return ls_fail(LS_ERR_INPUT, "%s: %s: %s", r->path, what, buf);
}

void audio_reader_close(struct audio_reader *r) {
    if (!r) return;
    swr_free(&r->swr);
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    av_packet_free(&r->pkt);
    av_frame_free(&r->frame);
    free(r->pending);
    free(r->path);
    free(r);
}

ls_status audio_reader_open(struct audio_reader **out, const char *path) {
    *out = NULL;
    av_log_quiet();
    struct audio_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    }
    ls_status st = LS_OK;
    int err = avformat_open_input(&r->fmt, path, NULL, NULL);
    if (err == AVERROR(ENOENT)) st = ls_fail(LS_ERR_IO, "%s: no such file", path);
    else if (err < 0) st = av_fail(r, err, "not a readable media file");
    if (!st && (err = avformat_find_stream_info(r->fmt, NULL)) < 0) st = av_fail(r, err, "cannot read stream info");
    const AVCodec *codec = NULL;
    if (!st) {
        r->stream = av_find_best_stream(r->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
        if (r->stream == AVERROR_STREAM_NOT_FOUND) st = ls_fail(LS_ERR_INPUT, "%s: no audio stream", path);
        else if (r->stream < 0 || !codec) st = ls_fail(LS_ERR_INPUT, "%s: no decoder for the audio stream", path);
    }
    if (!st && !(r->dec = avcodec_alloc_context3(codec))) st = ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    if (!st && (err = avcodec_parameters_to_context(r->dec, r->fmt->streams[r->stream]->codecpar)) < 0)
        st = av_fail(r, err, "bad audio parameters");
    if (!st && (err = avcodec_open2(r->dec, codec, NULL)) < 0) st = av_fail(r, err, "cannot open the audio decoder");
    if (!st && (r->dec->sample_rate <= 0 || r->dec->sample_rate > 1000000 || r->dec->ch_layout.nb_channels <= 0 ||
                r->dec->ch_layout.nb_channels > 64))
        st = ls_fail(LS_ERR_INPUT, "%s: absurd audio format (%d Hz, %d channels)", path, r->dec->sample_rate,
                     r->dec->ch_layout.nb_channels);
    if (!st) {
        AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
        err = swr_alloc_set_opts2(&r->swr, &mono, AV_SAMPLE_FMT_S16, AUDIO_RATE, &r->dec->ch_layout, r->dec->sample_fmt,
                                  r->dec->sample_rate, 0, NULL);
        if (err < 0 || (err = swr_init(r->swr)) < 0) st = av_fail(r, err, "cannot set up resampling to 16 kHz mono");
    }
    if (!st && (!(r->pkt = av_packet_alloc()) || !(r->frame = av_frame_alloc())))
        st = ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    if (st) {
        audio_reader_close(r);
        return st;
    }
    *out = r;
    return LS_OK;
}

double audio_reader_duration_s(const struct audio_reader *r) {
    return r->fmt->duration > 0 ? (double)r->fmt->duration / AV_TIME_BASE : 0.0;
}

static ls_status append_converted(struct audio_reader *r, const uint8_t **in, int n_in) {
    int room = swr_get_out_samples(r->swr, n_in);
    if (room < 0) return ls_fail(LS_ERR_INPUT, "%s: resampler error", r->path);
    size_t need = r->n_pending + (size_t)room;
    if (need > r->cap_pending) {
        size_t cap = need * 2 + 4096;
        int16_t *p = realloc(r->pending, cap * sizeof *p);
        if (!p) return ls_fail(LS_ERR_OOM, "%s: out of memory", r->path);
        r->pending = p, r->cap_pending = cap;
    }
    uint8_t *dst = (uint8_t *)(r->pending + r->n_pending);
    int got = swr_convert(r->swr, &dst, room, in, n_in);
    if (got < 0) return av_fail(r, got, "resampling failed");
    r->n_pending += (size_t)got;
    return LS_OK;
}

// Decodes until some converted samples are pending or the stream ends.
static ls_status refill(struct audio_reader *r) {
    r->n_pending = r->at_pending = 0;
    while (r->n_pending == 0 && !r->flushed) {
        int err = avcodec_receive_frame(r->dec, r->frame);
        if (err == 0) {
            LS_TRY(append_converted(r, (const uint8_t **)r->frame->extended_data, r->frame->nb_samples));
            av_frame_unref(r->frame);
            continue;
        }
        if (err == AVERROR_EOF) {
            LS_TRY(append_converted(r, NULL, 0)); // drain the resampler
            r->flushed = true;
            break;
        }
        if (err != AVERROR(EAGAIN)) return av_fail(r, err, "audio decoding failed");
        if (r->eof_input) return av_fail(r, AVERROR_EOF, "decoder did not finish");
        err = av_read_frame(r->fmt, r->pkt);
        if (err == AVERROR_EOF) {
            r->eof_input = true;
            avcodec_send_packet(r->dec, NULL);
            continue;
        }
        if (err < 0) return av_fail(r, err, "cannot read the file");
        if (r->pkt->stream_index == r->stream) {
            err = avcodec_send_packet(r->dec, r->pkt);
            if (err < 0 && err != AVERROR(EAGAIN)) { // a corrupt packet: skip it as ffmpeg does
                if (r->n_bad_packets++ == 0) log_msg(LOG_WARN, "%s: skipping undecodable audio packets", r->path);
                if (r->n_bad_packets > 1000) return av_fail(r, err, "audio stream is corrupt");
            }
        }
        av_packet_unref(r->pkt);
    }
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
        for (size_t i = 0; i < take; i++) samples[*got + i] = (float)r->pending[r->at_pending + i] / 32768.0f;
        r->at_pending += take;
        *got += take;
    }
    return LS_OK;
}

ls_status audio_load(const char *path, double max_seconds, float **samples, size_t *n_samples) {
    *samples = NULL;
    *n_samples = 0;
    struct audio_reader *r;
    LS_TRY(audio_reader_open(&r, path));
    size_t cap = 1 << 16, n = 0, limit = (size_t)(max_seconds * AUDIO_RATE);
    float *buf = malloc(cap * sizeof *buf);
    ls_status st = buf ? LS_OK : ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    for (;;) {
        if (st) break;
        if (n == cap) {
            cap *= 2;
            float *p = realloc(buf, cap * sizeof *p);
            if (!p) {
                st = ls_fail(LS_ERR_OOM, "%s: out of memory for %zu samples", path, cap);
                break;
            }
            buf = p;
        }
        size_t got;
        st = audio_reader_read(r, buf + n, cap - n, &got);
        if (st || got == 0) break;
        n += got;
        if (n > limit) st = ls_fail(LS_ERR_INPUT, "%s: longer than %.0f s", path, max_seconds);
    }
    audio_reader_close(r);
    if (st) {
        free(buf);
        return st;
    }
    *samples = buf;
    *n_samples = n;
    return LS_OK;
}
