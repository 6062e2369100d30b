// video_decode.c — any video ffmpeg decodes, streamed as RGB24 frames: the stream's display matrix is
// honoured (90/180/270 degree rotations, as ffmpeg's autorotate does), and frames are re-timed to the
// output rate the way LatentSync's `ffmpeg -r 25` re-encode does it: output frame i shows the latest
// input frame whose timestamp rounds to a slot <= i (frames repeat when the input is slower, and frames
// that land on an already-shown slot are dropped when it is faster; 25 fps input passes through 1:1).
// Two frame buffers at most; seeking decodes forward from the nearest earlier keyframe.
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av_log.h"
#include "media.h"

struct video_reader {
    char *path;
    double fps;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    int stream, src_w, src_h, sws_fmt;
    struct video_info info;
    uint8_t *converted;      // src_h rows of `converted_stride` bytes (before rotation)
    int converted_stride;    // padded: swscale's SIMD writes whole vectors past the row end
    uint8_t *cur, *next;     // out frames (after rotation)
    int64_t cur_slot, next_slot, next_end, cur_end, index; // *_end: the slot where the frame stops showing
    bool have_cur, have_next, eof_input, flushed, done;
    double first_pts;
    bool have_first;
    int n_bad;
};

static ls_status av_fail(const struct video_reader *r, int err, const char *what) {
    char buf[128];
    av_strerror(err, buf, sizeof buf);
    return ls_fail(LS_ERR_INPUT, "%s: %s: %s", r->path, what, buf);
}

void video_reader_close(struct video_reader *r) {
    if (!r) return;
    sws_freeContext(r->sws);
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    av_packet_free(&r->pkt);
    av_frame_free(&r->frame);
    free(r->converted);
    free(r->cur);
    free(r->next);
    free(r->path);
    free(r);
}

static int rotation_of(const AVStream *st) {
    const uint8_t *m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!m) return 0;
    double theta = -round(av_display_rotation_get((const int32_t *)(const void *)m));
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    int r = (int)lround(theta);
    return r == 90 || r == 180 || r == 270 ? r : 0;
}

static ls_status open_decoder(struct video_reader *r) {
    const AVCodec *codec = NULL;
    r->stream = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (r->stream == AVERROR_STREAM_NOT_FOUND) return ls_fail(LS_ERR_INPUT, "%s: no video stream (an audio-only file?)", r->path);
    if (r->stream < 0 || !codec) return ls_fail(LS_ERR_INPUT, "%s: no decoder for the video stream", r->path);
    if (!(r->dec = avcodec_alloc_context3(codec))) return ls_fail(LS_ERR_OOM, "%s: out of memory", r->path);
    int err = avcodec_parameters_to_context(r->dec, r->fmt->streams[r->stream]->codecpar);
    if (err < 0) return av_fail(r, err, "bad video parameters");
    r->dec->thread_count = 0; // libav picks: frame threads make HEVC decoding several times faster
    if ((err = avcodec_open2(r->dec, codec, NULL)) < 0) return av_fail(r, err, "cannot open the video decoder");
    return LS_OK;
}

ls_status video_reader_open(struct video_reader **out, const char *path, double fps) {
    *out = NULL;
    av_log_quiet();
    if (!(fps > 0 && fps <= 1000)) return ls_fail(LS_ERR_USAGE, "video: fps %g outside (0, 1000]", fps);
    struct video_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    }
    r->fps = fps;
    ls_status st = LS_OK;
    int err = avformat_open_input(&r->fmt, path, NULL, NULL);
    if (err == AVERROR(ENOENT)) st = ls_fail(LS_ERR_IO, "%s: no such file", path);
    else if (err < 0) st = av_fail(r, err, "not a readable media file");
    if (!st && (err = avformat_find_stream_info(r->fmt, NULL)) < 0) st = av_fail(r, err, "cannot read stream info");
    if (!st) st = open_decoder(r);
    if (!st) {
        const AVStream *s = r->fmt->streams[r->stream];
        r->src_w = r->dec->width, r->src_h = r->dec->height;
        if (r->src_w <= 0 || r->src_h <= 0 || r->src_w > VIDEO_MAX_SIDE || r->src_h > VIDEO_MAX_SIDE)
            st = ls_fail(LS_ERR_INPUT, "%s: absurd video size %dx%d", path, r->src_w, r->src_h);
        r->info.rotation = rotation_of(s);
        bool swap = r->info.rotation == 90 || r->info.rotation == 270;
        r->info.width = swap ? r->src_h : r->src_w;
        r->info.height = swap ? r->src_w : r->src_h;
        r->info.input_fps = s->avg_frame_rate.den ? av_q2d(s->avg_frame_rate) : 0;
        r->info.duration_s = r->fmt->duration > 0 ? (double)r->fmt->duration / AV_TIME_BASE
                             : s->duration > 0 ? (double)s->duration * av_q2d(s->time_base) : 0;
        r->info.frames_estimate = (int64_t)llround(r->info.duration_s * fps);
    }
    size_t bytes = st ? 0 : (size_t)r->src_w * r->src_h * 3;
    r->converted_stride = (r->src_w * 3 + 63) / 64 * 64;
    size_t conv_bytes = st ? 0 : (size_t)r->converted_stride * (r->src_h + 1);
    if (!st && (!(r->pkt = av_packet_alloc()) || !(r->frame = av_frame_alloc()) || !(r->converted = malloc(conv_bytes)) ||
                !(r->cur = malloc(bytes)) || !(r->next = malloc(bytes))))
        st = ls_fail(LS_ERR_OOM, "%s: out of memory for %dx%d frames", path, r->src_w, r->src_h);
    if (st) {
        video_reader_close(r);
        return st;
    }
    *out = r;
    return LS_OK;
}

const struct video_info *video_reader_info(const struct video_reader *r) { return &r->info; }
int64_t video_reader_position(const struct video_reader *r) { return r->index; }

static void rotate(const uint8_t *src, int stride, int w, int h, int rotation, uint8_t *dst) {
    if (rotation == 0) {
        for (int y = 0; y < h; y++) memcpy(dst + (size_t)y * w * 3, src + (size_t)y * stride, (size_t)w * 3);
        return;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = src + (size_t)y * stride + (size_t)x * 3;
            size_t o;
            if (rotation == 90) o = (size_t)x * h + (h - 1 - y);                 // clockwise: out is h wide
            else if (rotation == 180) o = (size_t)(h - 1 - y) * w + (w - 1 - x);
            else o = (size_t)(w - 1 - x) * h + y;                                 // 270: counter-clockwise
            memcpy(dst + o * 3, p, 3);
        }
}

// The output slot of time t: ffmpeg -r rounds a timestamp landing exactly between two slots down (2.5 -> 2);
// the tolerance absorbs binary fractions (0.3 s * 25 = 7.5000000001).
static int64_t slot_of(double t, double fps) { return (int64_t)ceil(t * fps - 0.5 - 1e-6); }

// Decodes the next frame into r->next with its output slot; false at the end of the stream.
static ls_status decode_next(struct video_reader *r, bool *got) {
    *got = false;
    while (!r->flushed) {
        int err = avcodec_receive_frame(r->dec, r->frame);
        if (err == 0) {
            AVFrame *f = r->frame;
            if (f->width != r->src_w || f->height != r->src_h)
                return ls_fail(LS_ERR_INPUT, "%s: the frame size changes mid-stream (%dx%d -> %dx%d)", r->path, r->src_w,
                               r->src_h, f->width, f->height);
            if (!r->sws || f->format != r->sws_fmt) {
                sws_freeContext(r->sws);
                r->sws = sws_getContext(f->width, f->height, f->format, f->width, f->height, AV_PIX_FMT_RGB24,
                                        SWS_BICUBIC, NULL, NULL, NULL); // ffmpeg's and OpenCV's default
                r->sws_fmt = f->format;
                if (!r->sws) return ls_fail(LS_ERR_INPUT, "%s: cannot convert pixel format %d to RGB", r->path, f->format);
            }
            uint8_t *dst[4] = {r->converted};
            int stride[4] = {r->converted_stride};
            sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, stride);
            rotate(r->converted, r->converted_stride, r->src_w, r->src_h, r->info.rotation, r->next);
            int64_t ts = f->best_effort_timestamp;
            double t = ts == AV_NOPTS_VALUE ? NAN : (double)ts * av_q2d(r->fmt->streams[r->stream]->time_base);
            if (!r->have_first && !isnan(t)) r->first_pts = t, r->have_first = true;
            double dur = f->pkt_duration > 0 ? (double)f->pkt_duration * av_q2d(r->fmt->streams[r->stream]->time_base)
                         : r->info.input_fps > 0 ? 1 / r->info.input_fps : 0;
            r->next_slot = isnan(t) ? (r->have_cur ? r->cur_end : 0) : slot_of(t - r->first_pts, r->fps);
            r->next_end = isnan(t) || dur <= 0 ? r->next_slot + 1 : slot_of(t - r->first_pts + dur, r->fps);
            if (r->next_end <= r->next_slot) r->next_end = r->next_slot + 1;
            av_frame_unref(f);
            *got = true;
            return LS_OK;
        }
        if (err == AVERROR_EOF) {
            r->flushed = true;
            break;
        }
        if (err != AVERROR(EAGAIN)) return av_fail(r, err, "video decoding failed");
        err = av_read_frame(r->fmt, r->pkt);
        if (err == AVERROR_EOF) {
            r->eof_input = true;
            avcodec_send_packet(r->dec, NULL);
            continue;
        }
        if (err < 0) return av_fail(r, err, "cannot read the file");
        if (r->pkt->stream_index == r->stream) {
            err = avcodec_send_packet(r->dec, r->pkt);
            if (err < 0 && err != AVERROR(EAGAIN) && r->n_bad++ > 100) {
                av_packet_unref(r->pkt);
                return av_fail(r, err, "the video stream is corrupt");
            }
        }
        av_packet_unref(r->pkt);
    }
    return LS_OK;
}

ls_status video_reader_next(struct video_reader *r, const uint8_t **rgb, bool *done) {
    *done = false;
    *rgb = NULL;
    for (;;) {
        if (!r->have_next && !r->flushed) {
            bool got;
            LS_TRY(decode_next(r, &got));
            r->have_next = got;
        }
        if (r->have_next && (!r->have_cur || r->next_slot <= r->index)) { // a newer frame for this slot
            uint8_t *t = r->cur;
            r->cur = r->next, r->next = t;
            r->cur_slot = r->next_slot, r->cur_end = r->next_end;
            r->have_cur = true, r->have_next = false;
            continue;
        }
        if (!r->have_cur || (!r->have_next && r->index >= r->cur_end)) { // the stream ended with the last frame's duration
            if (r->index == 0) return ls_fail(LS_ERR_INPUT, "%s: the video has no frames", r->path);
            *done = true;
            return LS_OK;
        }
        *rgb = r->cur; // repeated while the next frame's slot lies ahead
        r->index++;
        return LS_OK;
    }
}

ls_status video_reader_seek(struct video_reader *r, int64_t index) {
    if (index < 0) return ls_fail(LS_ERR_INPUT, "%s: seek to frame %lld", r->path, (long long)index);
    if (index >= r->index && index - r->index < 64) { // close ahead: just decode forward
        const uint8_t *rgb;
        bool done;
        while (r->index < index) {
            LS_TRY(video_reader_next(r, &rgb, &done));
            if (done) return ls_fail(LS_ERR_INPUT, "%s: seek past the last frame (%lld)", r->path, (long long)index);
        }
        return LS_OK;
    }
    // jump to the keyframe before the target, then decode forward; slots stay relative to the first frame
    const AVStream *s = r->fmt->streams[r->stream];
    double t = r->first_pts + (double)index / r->fps - 1.0 / r->fps;
    int64_t ts = (int64_t)floor(t / av_q2d(s->time_base));
    int err = av_seek_frame(r->fmt, r->stream, ts > 0 ? ts : 0, AVSEEK_FLAG_BACKWARD);
    if (err < 0) err = av_seek_frame(r->fmt, r->stream, 0, AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_ANY);
    if (err < 0) return av_fail(r, err, "cannot seek");
    avcodec_flush_buffers(r->dec);
    r->have_cur = r->have_next = r->eof_input = r->flushed = false;
    // find the slot we landed on, then walk forward to the target
    bool got;
    LS_TRY(decode_next(r, &got));
    if (!got) return ls_fail(LS_ERR_INPUT, "%s: seek past the last frame (%lld)", r->path, (long long)index);
    r->have_next = true;
    r->index = r->next_slot < index ? r->next_slot : index;
    if (r->next_slot > index) { // landed after the target (no earlier keyframe): start over
        avformat_seek_file(r->fmt, r->stream, INT64_MIN, 0, 0, 0);
        avcodec_flush_buffers(r->dec);
        r->have_next = r->eof_input = r->flushed = false;
        r->index = 0;
    }
    const uint8_t *rgb;
    bool done;
    while (r->index < index) {
        LS_TRY(video_reader_next(r, &rgb, &done));
        if (done) return ls_fail(LS_ERR_INPUT, "%s: seek past the last frame (%lld)", r->path, (long long)index);
    }
    return LS_OK;
}
