// conv2d.c — reference conv2d (NCHW, grouped, strided, dilated, asymmetric zero padding) and conv1d.
#include "ref.h"

void ref_conv2d(const tensor *out, const tensor *x, const tensor *w, const tensor *bias, const struct conv2d_params *p) {
    int64_t nb = x->shape[0], ci = x->shape[1], h = x->shape[2], wd = x->shape[3];
    int64_t co = out->shape[1], ho = out->shape[2], wo = out->shape[3];
    int64_t kh = w->shape[2], kw = w->shape[3], cig = ci / p->groups, cog = co / p->groups;
    for (int64_t n = 0; n < nb; n++)
        for (int64_t oc = 0; oc < co; oc++) {
            int64_t g = oc / cog;
            for (int64_t oy = 0; oy < ho; oy++)
                for (int64_t ox = 0; ox < wo; ox++) {
                    double acc = bias ? ref_get(bias, oc) : 0.0;
                    for (int64_t c = 0; c < cig; c++)
                        for (int64_t ky = 0; ky < kh; ky++)
                            for (int64_t kx = 0; kx < kw; kx++) {
                                int64_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
                                int64_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                acc += ref_get(x, ((n * ci + g * cig + c) * h + iy) * wd + ix) *
                                       ref_get(w, ((oc * cig + c) * kh + ky) * kw + kx);
                            }
                    ref_set(out, ((n * co + oc) * ho + oy) * wo + ox, acc);
                }
        }
}

void ref_conv1d(const tensor *out, const tensor *x, const tensor *w, const tensor *bias, const struct conv1d_params *p) {
    int64_t nb = x->shape[0], ci = x->shape[1], l = x->shape[2], co = out->shape[1], lo = out->shape[2];
    int64_t k = w->shape[2];
    for (int64_t n = 0; n < nb; n++)
        for (int64_t oc = 0; oc < co; oc++)
            for (int64_t o = 0; o < lo; o++) {
                double acc = bias ? ref_get(bias, oc) : 0.0;
                for (int64_t c = 0; c < ci; c++)
                    for (int64_t kk = 0; kk < k; kk++) {
                        int64_t i = o * p->stride - p->pad + kk * p->dilation;
                        if (i >= 0 && i < l) acc += ref_get(x, (n * ci + c) * l + i) * ref_get(w, (oc * ci + c) * k + kk);
                    }
                ref_set(out, (n * co + oc) * lo + o, acc);
            }
}
