// opencoreml ML program ops: conv_tiled (conv_tiled.hpp) — phase planes, row offsets, tiles
// and the parallel split of one convolution.
#include "mil/ops/conv/conv_tiled.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "kernels/offset_gemm.hpp"
#include "mil/ops/common/thread_floats.hpp"
#include "mil/ops/conv/conv_loops.hpp"
#include "mil/ops/conv/phase_planes.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

// Multiply-adds per parallel task below which splitting is not worth it (a 2-thread job
// costs about a microsecond; this is several).
constexpr int64_t kTaskWork = 1 << 18;

// Where row k of the product reads, for one group:
//   Input  - pointwise: x itself; tiles run over the flattened plane (the partial last tile is
//            copied into a panel: it would read past the end of x);
//   Planes - the phase planes; tiles run along output rows, nr columns or the row's rest;
//   Packed - tiles of output pixels gathered from the phase planes into [k][nr] panels, for
//            small planes where row tiles would mostly compute past the row's end.
enum class Source { Input, Planes, Packed };

struct Layout {
    PhasePlanes pp;             // geometry (pp.plane etc. unused for Input)
    Source source = Source::Planes;
    int64_t nr = 0;             // columns per tile
    int vectors = 2;
    int64_t k = 0;              // rows of B per group: c_in_g * taps

    int64_t pixels() const { return pp.oh * pp.ow; }
    int64_t row_tiles() const { return (pp.ow + nr - 1) / nr; }
    int64_t tiles() const { return source == Source::Planes ? pp.oh * row_tiles() : (pixels() + nr - 1) / nr; }
    // Tiles gathered into panels per group: all of them (Packed), the partial last (Input).
    int64_t packed_tiles() const {
        return source == Source::Packed ? tiles() : source == Source::Input && pixels() % nr ? 1 : 0;
    }
    int64_t first_packed() const { return tiles() - packed_tiles(); }

    struct Span {
        int64_t from, to, cols;  // offset of column 0 in B's rows and in an output plane; columns
    };
    Span span(int64_t tile) const {
        if (source != Source::Planes) {
            const int64_t q0 = tile * nr;
            return {q0, q0, std::min(nr, pixels() - q0)};
        }
        const int64_t row = tile / row_tiles(), c0 = tile % row_tiles() * nr;
        return {row * pp.wph + c0, row * pp.ow + c0, std::min(nr, pp.ow - c0)};
    }
};

// Columns computed for `count` columns in tiles of nr.
int64_t rounded(int64_t count, int64_t nr) { return (count + nr - 1) / nr * nr; }

// Vectors per tile for runs of `cols` columns: one when two would compute a tenth more.
int vectors_for(int64_t cols, int lanes) { return rounded(cols, 2 * lanes) * 10 > rounded(cols, lanes) * 11 ? 1 : 2; }

Layout layout_for(const TiledConvArgs& a) {
    const Window3& w = a.w;
    Layout l;
    const int lanes = kernels::offset_gemm_geometry().lanes;
    // Tiles read up to 2 * lanes - 1 columns past the last computed one.
    l.pp = PhasePlanes::make(w, 2 * lanes);
    const PhasePlanes& p = l.pp;
    l.k = a.c_in / a.groups * p.taps();
    const int64_t pixels = p.oh * p.ow;
    if (p.taps() == 1 && p.sh == 1 && p.sw == 1 && p.top == 0 && p.left == 0 && p.oh == p.h && p.ow == p.w) {
        l.source = Source::Input;
        l.vectors = vectors_for(pixels, lanes);
    } else {
        // Row tiles unless panels of output pixels compute at least a fifth fewer columns.
        const int v_rows = vectors_for(p.ow, lanes), v_packed = vectors_for(pixels, lanes);
        const bool packed = rounded(pixels, v_packed * lanes) * 10 <= p.oh * rounded(p.ow, v_rows * lanes) * 8;
        l.source = packed ? Source::Packed : Source::Planes;
        l.vectors = packed ? v_packed : v_rows;
    }
    l.nr = l.vectors * lanes;
    return l;
}

// Offsets of B's rows (k = channel * taps + tap) from the group's first plane (or x).
void fill_offsets(const Layout& l, int64_t c_in_g, int64_t* off) {
    const PhasePlanes& p = l.pp;
    const int64_t taps = p.taps();
    if (l.source == Source::Input) {
        for (int64_t c = 0; c < c_in_g; ++c) off[c] = c * p.h * p.w;
        return;
    }
    // The first channel's tap offsets (integer divisions: once per tap, not per row), then
    // every other channel's shifted by whole sets of planes.
    for (int64_t th = 0; th < p.kh; ++th)
        for (int64_t tw = 0; tw < p.kw; ++tw) off[th * p.kw + tw] = p.tap_offset(th, tw);
    for (int64_t c = 1; c < c_in_g; ++c)
        for (int64_t t = 0; t < taps; ++t) off[c * taps + t] = off[t] + c * p.slots * p.plane;
}

}  // namespace

TiledConvWeights TiledConvWeights::pack(const float* w, int64_t c_out, int64_t groups, int64_t k) {
    TiledConvWeights t;
    t.mr = kernels::offset_gemm_rows(c_out / groups);
    t.groups = groups, t.c_out_g = c_out / groups, t.k = k;
    if (groups == 1) {
        t.packed = kernels::offset_gemm_pack(w, t.c_out_g, k, k, t.mr);
        return t;
    }
    for (int64_t g = 0; g < groups; ++g) {
        std::vector<float> p = kernels::offset_gemm_pack(w + g * t.c_out_g * k, t.c_out_g, k, k, t.mr);
        t.packed.insert(t.packed.end(), p.begin(), p.end());
    }
    return t;
}

void TiledConvWeights::scale_rows(const std::vector<float>& scale) {
    float* p = packed.data();
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t b = 0; b < blocks(); ++b)
            for (int64_t k = 0; k < this->k; ++k)
                for (int64_t i = 0; i < mr; ++i, ++p) {
                    const int64_t row = b * mr + i;
                    if (row < c_out_g) *p *= scale[static_cast<size_t>(g * c_out_g + row)];
                }
}

bool conv_tiled_in_place(const Window3& w) {
    TiledConvArgs a;
    a.w = w, a.c_in = 1, a.groups = 1;
    return layout_for(a).source == Source::Input;
}

int64_t conv_tiled_offsets(const TiledConvArgs& a) { return 2 * layout_for(a).k; }

namespace {

// Panel rows [0, k) of output-pixel tile p0 (count pixels), zero past them: column j is
// pixel p0 + j, copied from `base` (one group's planes, or x) as runs along output rows.
void pack_tile(const Layout& l, const float* base, const int64_t* offsets, int64_t p0, float* panel) {
    const PhasePlanes& pp = l.pp;
    const bool input = l.source == Source::Input;
    const int64_t count = std::min(l.nr, l.pixels() - p0);
    int64_t seg_at[33], seg_from[33], seg_len[33], segs = 0;
    for (int64_t j = 0; j < count;) {
        const int64_t p = p0 + j, len = input ? count - j : std::min(count - j, pp.ow - p % pp.ow);
        seg_at[segs] = j, seg_from[segs] = input ? p : p / pp.ow * pp.wph + p % pp.ow, seg_len[segs++] = len;
        j += len;
    }
    for (int64_t k = 0; k < l.k; ++k, panel += l.nr) {
        const float* row = base + offsets[k];
        for (int64_t sg = 0; sg < segs; ++sg) copy_floats(panel + seg_at[sg], row + seg_from[sg], seg_len[sg]);
        std::fill(panel + count, panel + l.nr, 0.0f);
    }
}

// Ids of conv_tiled calls (per batch item), so a thread knows whether its planes are current.
std::atomic<uint64_t> next_call{1};
thread_local uint64_t planes_call = 0;

}  // namespace

void conv_tiled(const TiledConvArgs& a, int64_t* offsets, ThreadPool& pool) {
    const Layout l = layout_for(a);
    const PhasePlanes& pp = l.pp;
    const TiledConvWeights& wt = *a.weights;
    const int64_t c_in_g = a.c_in / a.groups, in_plane = pp.h * pp.w, out_plane = pp.oh * pp.ow;
    const int64_t tiles = l.tiles(), blocks = wt.blocks();
    const int64_t packed_tiles = l.packed_tiles(), first_packed = l.first_packed();
    const bool input = l.source == Source::Input;
    const int64_t channel_src = input ? in_plane : pp.slots * pp.plane, group_src = c_in_g * channel_src;
    const int64_t panel_floats = a.groups * packed_tiles * l.k * l.nr;
    fill_offsets(l, c_in_g, offsets);
    int64_t* panel_offsets = offsets + l.k;
    for (int64_t k = 0; k < l.k; ++k) panel_offsets[k] = k * l.nr;

    // Units of work: (group, tile, run of blocks). Blocks are split into runs when there are
    // too few tiles for about 16 units per thread: with a handful of units per thread, one
    // more unit on one thread than on the other costs a large share of the time.
    const int threads = pool.size();
    int64_t runs = 1;
    if (threads > 1 && a.groups * tiles < 16 * threads)
        runs = std::min(blocks, (16 * threads + a.groups * tiles - 1) / (a.groups * tiles));
    int64_t per_run = (blocks + runs - 1) / runs;
    if (l.vectors == 1 && per_run % 2 && per_run < blocks) ++per_run;  // the kernel pairs blocks of one-vector tiles
    runs = (blocks + per_run - 1) / per_run;
    const int64_t unit_work = l.k * l.nr * per_run * wt.mr;

    // Each thread builds its own phase planes and panels on its first chunk. Building them
    // once, shared, took a job of its own and a wait, and every thread then read half of them
    // from the other core's cache: measured on the ResNet and MobileNetV2 layers at 2 threads
    // (3-channel stems and stride-2 layers included, where the copies are a large part of the
    // work), the shared copies were 5-40 % slower.
    for (int64_t n = 0; n < a.n; ++n) {
        const float* x = a.x ? a.x + n * a.c_in * in_plane : nullptr;
        const uint16_t* x16 = a.x16 ? a.x16 + n * a.c_in * in_plane : nullptr;
        float* out = a.out + n * a.c_out * out_plane;
        const float* residual = a.residual ? a.residual + n * a.c_out * out_plane : nullptr;
        const uint64_t call = next_call.fetch_add(1, std::memory_order_relaxed);
        pool.parallel_for(a.groups * tiles * runs, std::max<int64_t>(1, kTaskWork / std::max<int64_t>(unit_work, 1)),
                          [&](int64_t u0, int64_t u1) {
            float* planes = input ? nullptr : phase_buffer(kSlotConvPlanes, pp, a.c_in);
            float* panels = panel_floats ? thread_floats(kSlotConvPanels, static_cast<size_t>(panel_floats)) : nullptr;
            const float* src = input ? x : planes;
            if (planes_call != call) {
                if (!input) {
                    if (x16)
                        pp.fill_channels(x16, in_plane, a.c_in, planes);
                    else
                        pp.fill_channels(x, in_plane, a.c_in, planes);
                }
                for (int64_t i = 0; i < a.groups * packed_tiles; ++i)  // panels: [group][packed tile][k][nr]
                    pack_tile(l, src + i / packed_tiles * group_src, offsets, (first_packed + i % packed_tiles) * l.nr,
                              panels + i * l.k * l.nr);
                planes_call = call;
            }
            for (int64_t u = u0; u < u1; ++u) {
                const int64_t g = u / (tiles * runs), tile = u / runs % tiles, run = u % runs;
                const Layout::Span sp = l.span(tile);
                const int64_t b0 = run * per_run, b1 = std::min(blocks, b0 + per_run);
                const int64_t co0 = g * wt.c_out_g + b0 * wt.mr;
                kernels::OffsetGemmTile t;
                t.mr = wt.mr;
                t.K = l.k;
                t.a = wt.group(g) + b0 * l.k * wt.mr;
                t.blocks = b1 - b0, t.rows = std::min(wt.c_out_g, b1 * wt.mr) - b0 * wt.mr;
                if (tile >= first_packed) {
                    t.b = panels + (g * packed_tiles + tile - first_packed) * l.k * l.nr;
                    t.offsets = panel_offsets;
                } else {
                    t.b = src + g * group_src + sp.from;
                    t.offsets = offsets;
                }
                t.vectors = l.vectors, t.cols = sp.cols;
                t.bias = a.bias ? a.bias + co0 : nullptr;
                t.lo = a.epilogue.lo, t.hi = a.epilogue.hi;
                t.c = out + co0 * out_plane + sp.to, t.ldc = out_plane;
                t.residual = residual ? residual + co0 * out_plane + sp.to : nullptr;
                kernels::offset_gemm(t);
            }
        });
    }
}

}  // namespace opencoreml::mil
