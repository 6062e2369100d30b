// video_encode.c — the output file: H.264 (libx264, CRF 18, yuv420p, preset medium) + AAC (mono 16 kHz)
// in mp4, the settings of LatentSync's final mux (`ffmpeg ... -c:v libx264 -crf 18 -c:a aac`), written in
// one encode instead of the original's two. Written to PATH.partial.mp4 in the same folder and renamed
// only after the trailer is written, so a failed or interrupted job never leaves a partial output.
#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"
#include "av_log.h"
#include "media.h"

struct video_writer {
    char *path, *tmp_path;
    AVFormatContext *fmt;
    AVCodecContext *venc, *aenc;
    AVStream *vst, *ast;
    struct SwsContext *sws;
    SwrContext *swr;
    AVFrame *vframe, *aframe;
    AVPacket *pkt;
    int width, height, out_w, out_h;
    double fps;
    int64_t frames;
    float *audio;           // all audio handed in (mono 16 kHz), muxed as the video advances
    size_t n_audio, cap_audio, audio_done;
    int64_t audio_pts;
    bool header_written;
};

static ls_status av_fail(const struct video_writer *w, int err, const char *what) {
    char buf[128];
    av_strerror(err, buf, sizeof buf);
    return ls_fail(LS_ERR_IO, "%s: %s: %s", w->path, what, buf);
}

static void writer_free(struct video_writer *w) {
    if (!w) return;
    if (w->fmt && !(w->fmt->oformat->flags & AVFMT_NOFILE) && w->fmt->pb) avio_closep(&w->fmt->pb);
    avformat_free_context(w->fmt);
    avcodec_free_context(&w->venc);
    avcodec_free_context(&w->aenc);
    sws_freeContext(w->sws);
    swr_free(&w->swr);
    av_frame_free(&w->vframe);
    av_frame_free(&w->aframe);
    av_packet_free(&w->pkt);
    free(w->audio);
    free(w->path);
    free(w->tmp_path);
    free(w);
}

void video_writer_abort(struct video_writer *w) {
    if (!w) return;
    char *tmp = w->tmp_path;
    w->tmp_path = NULL;
    writer_free(w);
    if (tmp) unlink(tmp);
    free(tmp);
}

static ls_status open_video(struct video_writer *w) {
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
    if (!codec) return ls_fail(LS_ERR_UNSUPPORTED, "%s: this FFmpeg has no H.264 encoder", w->path);
    if (!(w->venc = avcodec_alloc_context3(codec)) || !(w->vst = avformat_new_stream(w->fmt, NULL)))
        return ls_fail(LS_ERR_OOM, "%s: out of memory", w->path);
    w->venc->width = w->out_w, w->venc->height = w->out_h;
    w->venc->pix_fmt = AV_PIX_FMT_YUV420P;
    w->venc->time_base = av_d2q(1.0 / w->fps, 100000);
    w->venc->framerate = av_d2q(w->fps, 100000);
    w->venc->thread_count = 0;
    if (w->fmt->oformat->flags & AVFMT_GLOBALHEADER) w->venc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_opt_set(w->venc->priv_data, "crf", "18", 0);
    av_opt_set(w->venc->priv_data, "preset", "medium", 0);
    int err = avcodec_open2(w->venc, codec, NULL);
    if (err < 0) return av_fail(w, err, "cannot open the H.264 encoder");
    if ((err = avcodec_parameters_from_context(w->vst->codecpar, w->venc)) < 0) return av_fail(w, err, "video stream");
    w->vst->time_base = w->venc->time_base;
    w->vst->avg_frame_rate = w->venc->framerate;
    if (!(w->vframe = av_frame_alloc())) return ls_fail(LS_ERR_OOM, "%s: out of memory", w->path);
    w->vframe->format = AV_PIX_FMT_YUV420P, w->vframe->width = w->out_w, w->vframe->height = w->out_h;
    if ((err = av_frame_get_buffer(w->vframe, 0)) < 0) return av_fail(w, err, "frame buffer");
    w->sws = sws_getContext(w->out_w, w->out_h, AV_PIX_FMT_RGB24, w->out_w, w->out_h, AV_PIX_FMT_YUV420P,
                            SWS_BILINEAR | SWS_ACCURATE_RND, NULL, NULL, NULL);
    return w->sws ? LS_OK : ls_fail(LS_ERR_UNSUPPORTED, "%s: no RGB -> yuv420p conversion", w->path);
}

static ls_status open_audio(struct video_writer *w) {
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!codec) return ls_fail(LS_ERR_UNSUPPORTED, "%s: this FFmpeg has no AAC encoder", w->path);
    if (!(w->aenc = avcodec_alloc_context3(codec)) || !(w->ast = avformat_new_stream(w->fmt, NULL)))
        return ls_fail(LS_ERR_OOM, "%s: out of memory", w->path);
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    av_channel_layout_copy(&w->aenc->ch_layout, &mono);
    w->aenc->sample_rate = AUDIO_RATE;
    w->aenc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    w->aenc->bit_rate = 128000;
    w->aenc->time_base = (AVRational){1, AUDIO_RATE};
    if (w->fmt->oformat->flags & AVFMT_GLOBALHEADER) w->aenc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int err = avcodec_open2(w->aenc, codec, NULL);
    if (err < 0) return av_fail(w, err, "cannot open the AAC encoder");
    if ((err = avcodec_parameters_from_context(w->ast->codecpar, w->aenc)) < 0) return av_fail(w, err, "audio stream");
    w->ast->time_base = w->aenc->time_base;
    if (!(w->aframe = av_frame_alloc())) return ls_fail(LS_ERR_OOM, "%s: out of memory", w->path);
    w->aframe->format = AV_SAMPLE_FMT_FLTP, w->aframe->sample_rate = AUDIO_RATE;
    w->aframe->nb_samples = w->aenc->frame_size > 0 ? w->aenc->frame_size : 1024;
    av_channel_layout_copy(&w->aframe->ch_layout, &mono);
    if ((err = av_frame_get_buffer(w->aframe, 0)) < 0) return av_fail(w, err, "audio frame buffer");
    return LS_OK;
}

ls_status video_writer_open(struct video_writer **out, const char *path, int width, int height, double fps) {
    *out = NULL;
    av_log_quiet();
    if (width < 2 || height < 2 || width > VIDEO_MAX_SIDE || height > VIDEO_MAX_SIDE || !(fps > 0 && fps <= 1000))
        return ls_fail(LS_ERR_INPUT, "%s: cannot write %dx%d video at %g fps", path, width, height, fps);
    struct video_writer *w = calloc(1, sizeof *w);
    size_t n = strlen(path) + 16;
    if (!w || !(w->path = strdup(path)) || !(w->tmp_path = malloc(n))) {
        if (w) free(w->path);
        free(w);
        return ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    }
    snprintf(w->tmp_path, n, "%s.partial.mp4", path);
    w->width = width, w->height = height, w->fps = fps;
    w->out_w = width & ~1, w->out_h = height & ~1; // yuv420p: even sizes (an odd last row/column is dropped)
    if (w->out_w != width || w->out_h != height)
        log_msg(LOG_WARN, "%s: %dx%d is odd; H.264 yuv420p output is %dx%d", path, width, height, w->out_w, w->out_h);
    ls_status st = LS_OK;
    int err = avformat_alloc_output_context2(&w->fmt, NULL, "mp4", w->tmp_path);
    if (err < 0 || !w->fmt) st = ls_fail(LS_ERR_UNSUPPORTED, "%s: no mp4 muxer", path);
    if (!st) st = open_video(w);
    if (!st) st = open_audio(w);
    if (!st && (err = avio_open(&w->fmt->pb, w->tmp_path, AVIO_FLAG_WRITE)) < 0) {
        char buf[128];
        av_strerror(err, buf, sizeof buf);
        st = ls_fail(LS_ERR_IO, "%s: cannot create the output: %s", path, buf);
    }
    if (!st && (err = avformat_write_header(w->fmt, NULL)) < 0) st = av_fail(w, err, "cannot write the mp4 header");
    if (!st && !(w->pkt = av_packet_alloc())) st = ls_fail(LS_ERR_OOM, "%s: out of memory", path);
    if (st) {
        video_writer_abort(w);
        return st;
    }
    w->header_written = true;
    *out = w;
    return LS_OK;
}

static ls_status drain(struct video_writer *w, AVCodecContext *enc, AVStream *st) {
    for (;;) {
        int err = avcodec_receive_packet(enc, w->pkt);
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return LS_OK;
        if (err < 0) return av_fail(w, err, "encoding failed");
        av_packet_rescale_ts(w->pkt, enc->time_base, st->time_base);
        w->pkt->stream_index = st->index;
        err = av_interleaved_write_frame(w->fmt, w->pkt);
        if (err < 0) return av_fail(w, err, "cannot write");
    }
}

ls_status video_writer_audio(struct video_writer *w, const float *samples, size_t n) {
    if (w->n_audio + n > w->cap_audio) {
        size_t cap = (w->n_audio + n) * 2 + 16000;
        float *p = realloc(w->audio, cap * sizeof *p);
        if (!p) return ls_fail(LS_ERR_OOM, "%s: out of memory for audio", w->path);
        w->audio = p, w->cap_audio = cap;
    }
    memcpy(w->audio + w->n_audio, samples, n * sizeof *samples);
    w->n_audio += n;
    return LS_OK;
}

// Encodes audio up to `upto` samples (whole encoder frames; the tail when `final`).
static ls_status push_audio(struct video_writer *w, size_t upto, bool final) {
    size_t fs = (size_t)w->aframe->nb_samples;
    if (upto > w->n_audio) upto = w->n_audio;
    while (w->audio_done + (final ? 1 : fs) <= upto) {
        size_t take = upto - w->audio_done < fs ? upto - w->audio_done : fs;
        int err = av_frame_make_writable(w->aframe);
        if (err < 0) return av_fail(w, err, "audio frame");
        float *dst = (float *)(void *)w->aframe->data[0];
        memcpy(dst, w->audio + w->audio_done, take * sizeof *dst);
        if (take < fs) memset(dst + take, 0, (fs - take) * sizeof *dst); // AAC frames are fixed-size
        w->aframe->nb_samples = (int)fs;
        w->aframe->pts = w->audio_pts;
        w->audio_pts += (int64_t)fs;
        w->audio_done += take;
        if ((err = avcodec_send_frame(w->aenc, w->aframe)) < 0) return av_fail(w, err, "audio encoding failed");
        LS_TRY(drain(w, w->aenc, w->ast));
        if (take < fs) break;
    }
    return LS_OK;
}

ls_status video_writer_frame(struct video_writer *w, const uint8_t *rgb) {
    int err = av_frame_make_writable(w->vframe);
    if (err < 0) return av_fail(w, err, "video frame");
    const uint8_t *src[4] = {rgb};
    int stride[4] = {w->width * 3};
    sws_scale(w->sws, src, stride, 0, w->out_h, w->vframe->data, w->vframe->linesize);
    w->vframe->pts = w->frames++;
    if ((err = avcodec_send_frame(w->venc, w->vframe)) < 0) return av_fail(w, err, "video encoding failed");
    LS_TRY(drain(w, w->venc, w->vst));
    return push_audio(w, (size_t)((double)w->frames / w->fps * AUDIO_RATE), false);
}

ls_status video_writer_finish(struct video_writer *w) {
    // the original keeps int(frames / fps * 16000) samples (or all, if shorter)
    size_t keep = (size_t)((double)w->frames / w->fps * AUDIO_RATE);
    ls_status st = w->frames ? LS_OK : ls_fail(LS_ERR_INPUT, "%s: no frames to write", w->path);
    if (!st) st = push_audio(w, keep, true);
    if (!st && avcodec_send_frame(w->aenc, NULL) >= 0) st = drain(w, w->aenc, w->ast);
    if (!st && avcodec_send_frame(w->venc, NULL) >= 0) st = drain(w, w->venc, w->vst);
    int err;
    if (!st && (err = av_write_trailer(w->fmt)) < 0) st = av_fail(w, err, "cannot finish the file");
    if (!st && (err = avio_closep(&w->fmt->pb)) < 0) st = av_fail(w, err, "cannot close the file");
    if (!st && rename(w->tmp_path, w->path) != 0)
        st = ls_fail(LS_ERR_IO, "%s: cannot rename the finished file into place: %s", w->path, strerror(errno));
    if (st) {
        video_writer_abort(w);
        return st;
    }
    writer_free(w);
    return LS_OK;
}
