// opencoreml ML program ops: conv_tiled (conv_tiled.hpp) — phase planes, row offsets, tiles
// and the parallel split of one convolution.
#include "mil/ops/conv/conv_tiled.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/offset_gemm.hpp"
#include "mil/ops/conv/conv_loops.hpp"
#include "mil/ops/conv/phase_planes.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

// Work per parallel task below which splitting is not worth it (a 2-thread job costs about
// a microsecond; these are several): multiply-adds of the product, floats of the copies.
constexpr int64_t kTaskWork = 1 << 18;
constexpr int64_t kTaskFloats = 1 << 14;

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
    for (int64_t c = 0; c < c_in_g; ++c)
        for (int64_t th = 0; th < p.kh; ++th)
            for (int64_t tw = 0; tw < p.kw; ++tw)
                *off++ = l.source == Source::Input ? c * p.h * p.w : c * p.slots * p.plane + p.tap_offset(th, tw);
}

}  // namespace

TiledConvWeights TiledConvWeights::pack(const float* w, int64_t c_out, int64_t groups, int64_t k) {
    TiledConvWeights t;
    t.mr = kernels::offset_gemm_rows(c_out / groups);
    t.groups = groups, t.c_out_g = c_out / groups, t.k = k;
    for (int64_t g = 0; g < groups; ++g) {
        std::vector<float> p = kernels::offset_gemm_pack(w + g * t.c_out_g * k, t.c_out_g, k, k, t.mr);
        t.packed.insert(t.packed.end(), p.begin(), p.end());
    }
    return t;
}

TiledConvScratch conv_tiled_scratch(const TiledConvArgs& a) {
    const Layout l = layout_for(a);
    TiledConvScratch s;
    s.floats = (l.source == Source::Input ? 0 : a.c_in * l.pp.slots * l.pp.plane) + a.groups * l.packed_tiles() * l.k * l.nr;
    s.offsets = 2 * l.k;  // rows in the planes (or x), rows in a panel
    return s;
}

void conv_tiled(const TiledConvArgs& a, float* scratch, int64_t* offsets, ThreadPool& pool) {
    const Layout l = layout_for(a);
    const PhasePlanes& pp = l.pp;
    const TiledConvWeights& wt = *a.weights;
    const int64_t c_in_g = a.c_in / a.groups, in_plane = pp.h * pp.w, out_plane = pp.oh * pp.ow;
    const int64_t tiles = l.tiles(), blocks = wt.blocks();
    const int64_t packed_tiles = l.packed_tiles(), first_packed = l.first_packed();
    const bool input = l.source == Source::Input;
    float* planes = scratch;
    const int64_t channel_src = input ? in_plane : pp.slots * pp.plane;
    float* panels = scratch + (input ? 0 : a.c_in * channel_src);  // [group][packed tile][k][nr]
    const int64_t group_src = c_in_g * channel_src;
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

    for (int64_t n = 0; n < a.n; ++n) {
        const float* x = a.x + n * a.c_in * in_plane;
        float* out = a.out + n * a.c_out * out_plane;
        const float* src = input ? x : planes;
        if (!input)
            pool.parallel_for(a.c_in, std::max<int64_t>(1, kTaskFloats / channel_src), [&](int64_t c0, int64_t c1) {
                pp.fill_channels(x + c0 * in_plane, in_plane, c1 - c0, planes + c0 * channel_src);
            });
        if (packed_tiles) {
            // Panels: column j of tile t is output pixel t * nr + j (zero past the last pixel).
            // Items: (group, packed tile, run of up to 256 rows), so one big tile still splits.
            constexpr int64_t kRows = 256;
            const int64_t parts = (l.k + kRows - 1) / kRows;
            pool.parallel_for(a.groups * packed_tiles * parts, std::max<int64_t>(1, kTaskFloats / (kRows * l.nr)), [&](int64_t i0, int64_t i1) {
                for (int64_t item = i0; item < i1; ++item) {
                    const int64_t i = item / parts, k0 = item % parts * kRows, k1 = std::min(l.k, k0 + kRows);
                    const int64_t g = i / packed_tiles, p0 = (first_packed + i % packed_tiles) * l.nr;
                    const int64_t count = std::min(l.nr, l.pixels() - p0);
                    // Runs of consecutive source floats: the tile's pieces of output rows.
                    int64_t seg_at[33], seg_from[33], seg_len[33], segs = 0;
                    for (int64_t j = 0; j < count;) {
                        const int64_t p = p0 + j, len = input ? count - j : std::min(count - j, pp.ow - p % pp.ow);
                        seg_at[segs] = j, seg_from[segs] = input ? p : p / pp.ow * pp.wph + p % pp.ow, seg_len[segs++] = len;
                        j += len;
                    }
                    const float* base = src + g * group_src;
                    float* panel = panels + (i * l.k + k0) * l.nr;
                    for (int64_t k = k0; k < k1; ++k, panel += l.nr) {
                        const float* row = base + offsets[k];
                        for (int64_t sg = 0; sg < segs; ++sg) copy_floats(panel + seg_at[sg], row + seg_from[sg], seg_len[sg]);
                        std::fill(panel + count, panel + l.nr, 0.0f);
                    }
                }
            });
        }
        pool.parallel_for(a.groups * tiles * runs, std::max<int64_t>(1, kTaskWork / std::max<int64_t>(unit_work, 1)),
                          [&](int64_t u0, int64_t u1) {
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
                kernels::offset_gemm(t);
            }
        });
    }
}

}  // namespace opencoreml::mil
