// opencoreml ML program image ops: where output samples fall in the input. Resize-style ops
// (upsample_*, resize_*, resize, crop_resize) choose sample positions per axis by a sampling mode;
// this file turns a mode into per-axis positions and interpolation taps, and applies the taps
// along one axis of a tensor viewed as [outer, in, inner].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mil/op_api.hpp"

namespace opencoreml::mil::image {

// MIL's resize_bilinear sampling modes (see its definition for the grid of each).
enum class SamplingMode { StrictAlignCorners, AlignCorners, Default, OffsetCorners, UnalignCorners };

// Parses a sampling_mode string; fails naming the op for an unknown one.
SamplingMode parse_sampling_mode(const BuildContext& ctx, const std::string& mode);

// Positions of `count` samples along a segment that starts at `start` and spans `extent`
// pixel steps (a whole axis of n pixels: start 0, extent n - 1). A negative extent walks the
// segment backwards (inverted crop boxes). Positions are clamped to the segment.
std::vector<double> sample_positions(SamplingMode mode, double start, double extent, int64_t count);

// The sampling mode equivalent to upsample_bilinear's flags: align_corners -> corners map to
// corners; half_pixel -> pixel centres line up; neither -> position i * in / out.
SamplingMode upsample_mode(bool align_corners, bool half_pixel);

// Linear interpolation along one axis: output j blends input lo[j] and hi[j] with weight
// frac[j] on hi. `valid[j]` is false when the position lies outside [0, in - 1] (crop boxes
// reaching past the image), where the caller substitutes a padding value.
struct LinearTaps {
    std::vector<int64_t> lo, hi;
    std::vector<float> frac;
    std::vector<uint8_t> valid;
    int64_t size() const { return static_cast<int64_t>(lo.size()); }
};
LinearTaps linear_taps(const std::vector<double>& positions, int64_t in);

// Nearest-neighbour source index per output position: floor for the "DEFAULT" (asymmetric)
// convention, round-half-up otherwise; clamped to [0, in - 1].
std::vector<int64_t> nearest_indices(const std::vector<double>& positions, int64_t in, bool floor_mode);

// y[o, j, i] = lerp(x[o, lo[j], i], x[o, hi[j], i], frac[j]) for a float32 tensor viewed as
// [outer, in, inner] -> [outer, taps.size(), inner]. Parallel over outer rows.
void lerp_axis(const float* x, float* y, int64_t outer, int64_t in, int64_t inner, const LinearTaps& taps,
               ThreadPool& pool);

// y[o, j, i] = x[o, index[j], i] for elements of `elem_size` bytes.
void gather_axis(const void* x, void* y, size_t elem_size, int64_t outer, int64_t in, int64_t inner,
                 const std::vector<int64_t>& index, ThreadPool& pool);

}  // namespace opencoreml::mil::image
