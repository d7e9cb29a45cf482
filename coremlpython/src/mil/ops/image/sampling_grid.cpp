// opencoreml ML program image ops: sampling positions, interpolation taps and per-axis resampling.
#include "mil/ops/image/sampling_grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "mil/thread_pool.hpp"

namespace opencoreml::mil::image {

SamplingMode parse_sampling_mode(const BuildContext& ctx, const std::string& mode) {
    if (mode == "STRICT_ALIGN_CORNERS") return SamplingMode::StrictAlignCorners;
    if (mode == "ALIGN_CORNERS") return SamplingMode::AlignCorners;
    if (mode == "DEFAULT") return SamplingMode::Default;
    if (mode == "OFFSET_CORNERS") return SamplingMode::OffsetCorners;
    if (mode == "UNALIGN_CORNERS") return SamplingMode::UnalignCorners;
    ctx.fail("unknown sampling_mode \"" + mode +
             "\" (expected STRICT_ALIGN_CORNERS, ALIGN_CORNERS, DEFAULT, OFFSET_CORNERS or UNALIGN_CORNERS)");
}

SamplingMode upsample_mode(bool align_corners, bool half_pixel) {
    if (align_corners) return SamplingMode::StrictAlignCorners;
    return half_pixel ? SamplingMode::UnalignCorners : SamplingMode::Default;
}

std::vector<double> sample_positions(SamplingMode mode, double start, double extent, int64_t count) {
    std::vector<double> positions(static_cast<size_t>(std::max<int64_t>(count, 0)));
    // Work with a distance along the segment so inverted segments reuse the same formulas.
    const double direction = extent < 0 ? -1.0 : 1.0;
    const double length = std::fabs(extent);
    const double pixels = length + 1.0;  // the segment covers this many pixels
    const double n = static_cast<double>(count);
    for (int64_t i = 0; i < count; ++i) {
        double d = 0.0;
        switch (mode) {
            case SamplingMode::StrictAlignCorners: d = count > 1 ? i * length / (n - 1) : 0.0; break;
            case SamplingMode::AlignCorners: d = count > 1 ? i * length / (n - 1) : length / 2; break;
            case SamplingMode::Default: d = i * pixels / n; break;
            case SamplingMode::OffsetCorners: {
                const double step = std::max(1.0, length) / n;
                d = 0.5 * step + i * step;
                break;
            }
            case SamplingMode::UnalignCorners: d = (i + 0.5) * pixels / n - 0.5; break;
        }
        d = std::min(length, std::max(0.0, d));
        positions[static_cast<size_t>(i)] = start + direction * d;
    }
    return positions;
}

LinearTaps linear_taps(const std::vector<double>& positions, int64_t in) {
    LinearTaps taps;
    const size_t n = positions.size();
    taps.lo.assign(n, 0);
    taps.hi.assign(n, 0);
    taps.frac.assign(n, 0.0f);
    taps.valid.assign(n, 0);
    for (size_t j = 0; j < n; ++j) {
        const double p = positions[j];
        if (in <= 0 || !(p >= 0.0) || p > static_cast<double>(in - 1)) continue;
        const int64_t lo = std::min<int64_t>(static_cast<int64_t>(std::floor(p)), in - 1);
        taps.lo[j] = lo;
        taps.hi[j] = std::min<int64_t>(lo + 1, in - 1);
        taps.frac[j] = static_cast<float>(p - static_cast<double>(lo));
        taps.valid[j] = 1;
    }
    return taps;
}

std::vector<int64_t> nearest_indices(const std::vector<double>& positions, int64_t in, bool floor_mode) {
    std::vector<int64_t> index(positions.size());
    for (size_t j = 0; j < positions.size(); ++j) {
        const double p = floor_mode ? positions[j] : positions[j] + 0.5;
        index[j] = std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(std::floor(p)), 0), std::max<int64_t>(in - 1, 0));
    }
    return index;
}

namespace {
// Rows per parallel chunk so each chunk does at least ~32K element operations.
int64_t grain_for(int64_t work_per_row) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(work_per_row, 1)); }
}  // namespace

void lerp_axis(const float* x, float* y, int64_t outer, int64_t in, int64_t inner, const LinearTaps& taps,
               ThreadPool& pool) {
    const int64_t out = taps.size();
    if (outer == 0 || out == 0 || inner == 0) return;
    const int64_t* lo = taps.lo.data();
    const int64_t* hi = taps.hi.data();
    const float* frac = taps.frac.data();
    pool.parallel_for(outer, grain_for(out * inner), [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o) {
            const float* src = x + o * in * inner;
            float* dst = y + o * out * inner;
            if (inner == 1) {
                for (int64_t j = 0; j < out; ++j) dst[j] = src[lo[j]] + frac[j] * (src[hi[j]] - src[lo[j]]);
                continue;
            }
            for (int64_t j = 0; j < out; ++j) {
                const float* a = src + lo[j] * inner;
                const float* b = src + hi[j] * inner;
                const float f = frac[j];
                float* d = dst + j * inner;
                for (int64_t i = 0; i < inner; ++i) d[i] = a[i] + f * (b[i] - a[i]);
            }
        }
    });
}

namespace {
template <typename T>
void gather_typed(const T* x, T* y, int64_t outer, int64_t in, int64_t inner, const std::vector<int64_t>& index,
                  ThreadPool& pool) {
    const int64_t out = static_cast<int64_t>(index.size());
    pool.parallel_for(outer, grain_for(out * inner), [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o) {
            const T* src = x + o * in * inner;
            T* dst = y + o * out * inner;
            if (inner == 1) {
                for (int64_t j = 0; j < out; ++j) dst[j] = src[index[j]];
            } else {
                for (int64_t j = 0; j < out; ++j) std::memcpy(dst + j * inner, src + index[j] * inner, inner * sizeof(T));
            }
        }
    });
}
}  // namespace

void gather_axis(const void* x, void* y, size_t elem_size, int64_t outer, int64_t in, int64_t inner,
                 const std::vector<int64_t>& index, ThreadPool& pool) {
    if (outer == 0 || index.empty() || inner == 0) return;
    switch (elem_size) {
        case 1: return gather_typed(static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y), outer, in, inner, index, pool);
        case 2: return gather_typed(static_cast<const uint16_t*>(x), static_cast<uint16_t*>(y), outer, in, inner, index, pool);
        case 4: return gather_typed(static_cast<const uint32_t*>(x), static_cast<uint32_t*>(y), outer, in, inner, index, pool);
        default: return gather_typed(static_cast<const uint64_t*>(x), static_cast<uint64_t*>(y), outer, in, inner, index, pool);
    }
}

}  // namespace opencoreml::mil::image
