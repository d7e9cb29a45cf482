// opencoreml ML program ops: conv_tiled (conv_tiled.hpp) — phase planes, row offsets, tiles
// and the parallel split of one convolution.
#include "mil/ops/conv/conv_tiled.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/offset_gemm.hpp"
#include "mil/ops/conv/conv_loops.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

// Multiply-adds per parallel task below which splitting work is not worth a wake-up.
constexpr int64_t kTaskWork = 1 << 16;

// Where each tap of the window reads: the input as planes of stride phases (or as it is).
struct Layout {
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, top = 0, left = 0;
    int64_t h = 1, w = 1, oh = 1, ow = 1;
    bool direct = false;        // pointwise: B is x itself, planes of h * w
    int64_t hph = 0, wph = 0;   // phase plane rows and columns (the padded input / stride)
    int64_t slots = 1;          // phase planes per channel (sh * sw; unused ones stay empty)
    int64_t plane = 0;          // floats per plane, slack included
    int64_t wv = 0;             // output row width as computed (>= ow)
    int64_t nr = 0;             // columns per tile
    int vectors = 2;
    int64_t k = 0;              // rows of B per group: c_in_g * taps

    int64_t q() const { return oh * wv; }
    int64_t tiles() const { return (q() + nr - 1) / nr; }
    int64_t slot(int64_t tap_h, int64_t tap_w) const { return (tap_h * dh % sh) * sw + tap_w * dw % sw; }
};

Layout layout_for(const TiledConvArgs& a) {
    const Window3& w = a.w;
    Layout l;
    l.kh = w.k[1], l.kw = w.k[2], l.sh = w.s[1], l.sw = w.s[2], l.dh = w.d[1], l.dw = w.d[2];
    l.top = w.before[1], l.left = w.before[2];
    l.h = w.in[1], l.w = w.in[2], l.oh = w.out[1], l.ow = w.out[2];
    l.k = a.c_in / a.groups * l.kh * l.kw;
    l.direct = l.kh == 1 && l.kw == 1 && l.sh == 1 && l.sw == 1 && l.top == 0 && l.left == 0 && l.oh == l.h && l.ow == l.w;
    const int lanes = kernels::offset_gemm_geometry().lanes;
    if (l.direct) {
        l.wv = l.w;
    } else {
        const int64_t hp = (l.oh - 1) * l.sh + (l.kh - 1) * l.dh + 1, wp = (l.ow - 1) * l.sw + (l.kw - 1) * l.dw + 1;
        l.hph = (hp + l.sh - 1) / l.sh, l.wph = (wp + l.sw - 1) / l.sw;
        l.slots = l.sh * l.sw;
        l.wv = l.wph;
    }
    // One vector of columns when two would mostly compute past the end.
    const int64_t q = l.q(), two = (q + 2 * lanes - 1) / (2 * lanes) * 2 * lanes, one = (q + lanes - 1) / lanes * lanes;
    l.vectors = one * 8 < two * 7 ? 1 : 2;
    l.nr = l.vectors * lanes;
    // Tiles read up to nr - 1 columns past the last row and taps reach past the computed rows.
    if (!l.direct) l.plane = l.hph * l.wph + l.wph + l.nr;
    return l;
}

// Phase plane (rh, rw) of one channel: plane[a * wph + b] = padded input at (a * sh + rh, b * sw + rw).
void fill_phase(const Layout& l, const float* x, int64_t rh, int64_t rw, float* dst) {
    int64_t lo = 0, hi = 0;
    valid_range(l.wph, l.w, l.sw, rw - l.left, lo, hi);
    for (int64_t a = 0; a < l.hph; ++a, dst += l.wph) {
        const int64_t ih = a * l.sh + rh - l.top;
        if (ih < 0 || ih >= l.h)
            std::fill(dst, dst + l.wph, 0.0f);
        else
            gather_row(dst, x + ih * l.w, l.sw, rw - l.left, lo, hi, l.wph);
    }
    std::fill(dst, dst + l.plane - l.hph * l.wph, 0.0f);
}

bool phase_used(const Layout& l, int64_t rh, int64_t rw) {
    bool row = false, col = false;
    for (int64_t t = 0; t < l.kh && !row; ++t) row = t * l.dh % l.sh == rh;
    for (int64_t t = 0; t < l.kw && !col; ++t) col = t * l.dw % l.sw == rw;
    return row && col;
}

// Offsets of B's rows (k = channel * taps + tap) from the group's first plane.
void fill_offsets(const Layout& l, int64_t c_in_g, int64_t* off) {
    for (int64_t c = 0; c < c_in_g; ++c)
        for (int64_t th = 0; th < l.kh; ++th)
            for (int64_t tw = 0; tw < l.kw; ++tw)
                *off++ = l.direct ? c * l.h * l.w
                                  : (c * l.slots + l.slot(th, tw)) * l.plane + th * l.dh / l.sh * l.wph + tw * l.dw / l.sw;
}

}  // namespace

TiledConvWeights TiledConvWeights::pack(const float* w, int64_t c_out, int64_t groups, int64_t k) {
    TiledConvWeights t;
    t.mr = kernels::offset_gemm_geometry().mr;
    t.groups = groups, t.c_out_g = c_out / groups, t.k = k;
    for (int64_t g = 0; g < groups; ++g) {
        std::vector<float> p = kernels::offset_gemm_pack(w + g * t.c_out_g * k, t.c_out_g, k, k, t.mr);
        t.packed.insert(t.packed.end(), p.begin(), p.end());
    }
    return t;
}

bool conv_tiled_applies(const Window3& w) {
    return w.in[0] == 1 && w.out[0] == 1 && w.k[0] == 1 && w.before[1] >= 0 && w.before[2] >= 0 && w.out_size() > 0;
}

TiledConvScratch conv_tiled_scratch(const TiledConvArgs& a) {
    const Layout l = layout_for(a);
    TiledConvScratch s;
    // Direct: the last tile's rows copied with zero columns past the end (it would read past x).
    s.floats = l.direct ? a.c_in * l.nr : a.c_in * l.slots * l.plane;
    s.offsets = l.direct ? 2 * l.k : l.k;
    return s;
}

void conv_tiled(const TiledConvArgs& a, float* planes, int64_t* offsets, ThreadPool& pool) {
    const Layout l = layout_for(a);
    const TiledConvWeights& wt = *a.weights;
    const int64_t c_in_g = a.c_in / a.groups, in_plane = l.h * l.w, out_plane = l.oh * l.ow;
    const int64_t q = l.q(), tiles = l.tiles(), blocks = wt.blocks();
    fill_offsets(l, c_in_g, offsets);
    int64_t* tail_offsets = offsets + l.k;
    if (l.direct)
        for (int64_t k = 0; k < l.k; ++k) tail_offsets[k] = k * l.nr;

    // Units of work: (group, tile, run of blocks); tiles first, blocks split only when there
    // are too few tiles to keep every thread busy.
    const int threads = pool.size();
    int64_t runs = 1;
    if (threads > 1 && a.groups * tiles < 4 * threads) runs = std::min(blocks, (4 * threads + a.groups * tiles - 1) / (a.groups * tiles));
    const int64_t per_run = (blocks + runs - 1) / runs;
    runs = (blocks + per_run - 1) / per_run;
    const int64_t unit_work = l.k * l.nr * per_run * wt.mr;

    for (int64_t n = 0; n < a.n; ++n) {
        const float* x = a.x + n * a.c_in * in_plane;
        float* out = a.out + n * a.c_out * out_plane;
        if (l.direct && q % l.nr) {
            // The last tile of a pointwise conv would read past x: its rows, per group, copied
            // into zero-filled columns.
            const int64_t q0 = (tiles - 1) * l.nr;
            for (int64_t g = 0; g < a.groups; ++g)
                for (int64_t k = 0; k < l.k; ++k) {
                    float* row = planes + (g * l.k + k) * l.nr;
                    std::memcpy(row, x + g * c_in_g * in_plane + offsets[k] + q0, static_cast<size_t>(q - q0) * sizeof(float));
                    std::fill(row + (q - q0), row + l.nr, 0.0f);
                }
        }
        if (!l.direct) {
            const int64_t items = a.c_in * l.slots;
            pool.parallel_for(items, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(l.plane, 1)), [&](int64_t i0, int64_t i1) {
                for (int64_t i = i0; i < i1; ++i) {
                    const int64_t c = i / l.slots, rh = i % l.slots / l.sw, rw = i % l.sw;
                    if (phase_used(l, rh, rw)) fill_phase(l, x + c * in_plane, rh, rw, planes + i * l.plane);
                }
            });
        }
        pool.parallel_for(a.groups * tiles * runs, std::max<int64_t>(1, kTaskWork / std::max<int64_t>(unit_work, 1)),
                          [&](int64_t u0, int64_t u1) {
            float tmp[16 * 32];  // one block's tile when it cannot go straight to the output
            for (int64_t u = u0; u < u1; ++u) {
                const int64_t g = u / (tiles * runs), tile = u / runs % tiles, run = u % runs;
                const int64_t q0 = tile * l.nr, b0 = run * per_run, b1 = std::min(blocks, b0 + per_run);
                const int64_t co0 = g * wt.c_out_g + b0 * wt.mr, rows = std::min(wt.c_out_g, b1 * wt.mr) - b0 * wt.mr;
                kernels::OffsetGemmTile t;
                t.K = l.k;
                t.a = wt.group(g) + b0 * l.k * wt.mr;
                t.b = l.direct ? x + g * c_in_g * in_plane + q0 : planes + g * c_in_g * l.slots * l.plane + q0;
                t.offsets = offsets;
                t.vectors = l.vectors;
                t.bias = a.bias ? a.bias + co0 : nullptr;
                t.lo = a.epilogue.lo, t.hi = a.epilogue.hi;
                const bool tail = q0 + l.nr > q;
                if (l.direct && tail) t.b = planes + g * l.k * l.nr, t.offsets = tail_offsets;
                if (l.wv == l.ow && !tail) {
                    t.blocks = b1 - b0, t.rows = rows;
                    t.c = out + co0 * out_plane + q0, t.ldc = out_plane;
                    kernels::offset_gemm(t);
                    continue;
                }
                // Through tmp: keep only columns of real output pixels.
                const int64_t q1 = std::min(q0 + l.nr, q);
                for (int64_t b = b0; b < b1; ++b) {
                    t.a = wt.group(g) + b * l.k * wt.mr;
                    t.blocks = 1, t.rows = std::min<int64_t>(wt.mr, wt.c_out_g - b * wt.mr);
                    t.bias = a.bias ? a.bias + g * wt.c_out_g + b * wt.mr : nullptr;
                    t.c = tmp, t.ldc = l.nr;
                    kernels::offset_gemm(t);
                    float* dst = out + (g * wt.c_out_g + b * wt.mr) * out_plane;
                    for (int64_t s = q0; s < q1;) {
                        const int64_t row = s / l.wv, col = s % l.wv, end = std::min(q1, (row + 1) * l.wv);
                        if (col < l.ow) {
                            const int64_t len = std::min(end, row * l.wv + l.ow) - s;
                            for (int64_t r = 0; r < t.rows; ++r)
                                std::memcpy(dst + r * out_plane + row * l.ow + col, tmp + r * l.nr + (s - q0),
                                            static_cast<size_t>(len) * sizeof(float));
                        }
                        s = end;
                    }
                }
            }
        });
    }
}

}  // namespace opencoreml::mil
