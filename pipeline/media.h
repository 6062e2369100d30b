// media.h — video in and out with libav: frames streamed one at a time as RGB24 (rotation applied, frame
// rate converted to 25 fps as the original's `ffmpeg -r 25` re-encode does), and H.264 (CRF 18,
// yuv420p) + AAC in mp4 written through a temporary file that is renamed only when complete.
//
//     struct video_reader *r;
//     LS_TRY(video_reader_open(&r, "talking.mp4", 25));
//     const uint8_t *rgb;  bool done;
//     while (video_reader_next(r, &rgb, &done) == LS_OK && !done) ... r->width x r->height x 3 bytes
//     video_reader_close(r);
#ifndef LS_MEDIA_H
#define LS_MEDIA_H

#include "runtime.h"

#define VIDEO_MAX_SIDE 16384

struct video_info {
    int width, height;     // after rotation
    int rotation;          // degrees applied (0, 90, 180, 270)
    double input_fps;      // the stream's average frame rate
    double duration_s;     // container estimate
    int64_t frames_estimate; // at the output rate, from the duration (exact count: decode everything)
};

struct video_reader;
// Opens the best video stream; frames come out at `fps` (dropping or repeating frames by timestamp).
// Errors name the file: missing, not media, no video stream (an audio-only file), absurd dimensions.
ls_status video_reader_open(struct video_reader **out, const char *path, double fps);
const struct video_info *video_reader_info(const struct video_reader *r);
// The next frame (width * height * 3 bytes, valid until the next call); *done at the end.
ls_status video_reader_next(struct video_reader *r, const uint8_t **rgb, bool *done);
// Positions the reader so the next frame returned is frame `index` (at the output rate).
ls_status video_reader_seek(struct video_reader *r, int64_t index);
int64_t video_reader_position(const struct video_reader *r); // index of the next frame
void video_reader_close(struct video_reader *r); // NULL is a no-op

struct video_writer;
// Creates PATH's temporary sibling and the encoders: H.264 yuv420p CRF 18 at width x height (odd sizes
// lose their last row/column: yuv420p needs even sizes), `fps` frames per second; AAC mono 16 kHz audio.
// Fails early when the directory is not writable.
ls_status video_writer_open(struct video_writer **out, const char *path, int width, int height, double fps);
// Audio to mux (mono float at 16 kHz); may be given before or between frames; the file ends up with the
// audio trimmed to the video's length as the original does (int(frames / fps * 16000) samples).
ls_status video_writer_audio(struct video_writer *w, const float *samples, size_t n);
ls_status video_writer_frame(struct video_writer *w, const uint8_t *rgb); // width * height * 3 bytes
// Flushes the encoders, finishes the file and renames it into place. Frees w in every case.
ls_status video_writer_finish(struct video_writer *w);
// Drops everything: the temporary file is removed. NULL is a no-op.
void video_writer_abort(struct video_writer *w);

#endif
