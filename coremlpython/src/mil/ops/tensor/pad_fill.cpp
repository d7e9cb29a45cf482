// opencoreml ML program ops: padding (see pad_fill.hpp). Output rows (innermost dim) are
// processed independently: a row whose outer indices fall in the padding is all fill,
// otherwise its middle is one memcpy from the mapped input row and the edges use the map.
#include "mil/ops/tensor/pad_fill.hpp"

#include <cstring>

#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

// Input index for output index o of a dim of length n padded by `before`; -1 means fill.
int64_t source_index(int64_t o, int64_t n, int64_t before, PadMode mode) {
    int64_t i = o - before;
    if (i >= 0 && i < n) return i;
    switch (mode) {
        case PadMode::Constant: return -1;
        case PadMode::Replicate: return i < 0 ? 0 : n - 1;
        case PadMode::Reflect:
            if (n == 1) return 0;
            // Mirror about the edge elements; repeated for pads longer than the dim.
            while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
            return i;
    }
    return -1;
}

}  // namespace

Shape padded_shape(const Shape& shape, const std::vector<int64_t>& pads) {
    Shape out = shape;
    for (size_t d = 0; d < shape.size(); ++d) out[d] += pads[2 * d] + pads[2 * d + 1];
    return out;
}

std::string pad_problem(const Shape& in, const std::vector<int64_t>& pads, PadMode mode) {
    for (size_t d = 0; d < in.size(); ++d) {
        const int64_t before = pads[2 * d], after = pads[2 * d + 1];
        if (before < 0 || after < 0) return "pad amounts must not be negative";
        if (mode == PadMode::Reflect && (before || after) && (before >= in[d] || after >= in[d]))
            return "reflect padding of dim " + std::to_string(d) + " (length " + std::to_string(in[d]) + ") must be shorter than the dim";
        if (mode == PadMode::Replicate && in[d] == 0 && (before || after))
            return "replicate padding needs a non-empty dim " + std::to_string(d);
    }
    return "";
}

void pad_tensor(const Tensor& x, const std::vector<int64_t>& pads, PadMode mode, const void* fill, Tensor& out,
                ThreadPool& pool) {
    const Shape& in = x.shape();
    const size_t rank = in.size();
    const size_t es = dtype_size(x.dtype());
    const Shape& os = out.shape();
    if (shape_numel(os) == 0) return;
    if (rank == 0) {
        std::memcpy(out.raw(), x.raw(), es);
        return;
    }
    std::vector<std::vector<int64_t>> maps(rank);
    for (size_t d = 0; d < rank; ++d)
        for (int64_t o = 0; o < os[d]; ++o) maps[d].push_back(source_index(o, in[d], pads[2 * d], mode));
    const std::vector<int64_t> in_strides = contiguous_strides(in);
    const int64_t row = os[rank - 1], rows = shape_numel(os) / row;
    const int64_t before = pads[2 * (rank - 1)], n_last = in[rank - 1];
    const uint8_t* src = static_cast<const uint8_t*>(x.raw());
    uint8_t* dst = static_cast<uint8_t*>(out.raw());
    const std::vector<int64_t>& last_map = maps[rank - 1];
    pool.parallel_for(rows, std::max<int64_t>(1, (1 << 14) / row), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            uint8_t* d = dst + static_cast<size_t>(r * row) * es;
            int64_t rem = r, offset = 0;
            bool filled = false;
            for (size_t k = rank - 1; k-- > 0;) {
                const int64_t idx = maps[k][static_cast<size_t>(rem % os[k])];
                rem /= os[k];
                if (idx < 0) filled = true;
                else offset += idx * in_strides[k];
            }
            if (filled) {
                for (int64_t c = 0; c < row; ++c) std::memcpy(d + c * es, fill, es);
                continue;
            }
            const uint8_t* s = src + static_cast<size_t>(offset) * es;
            for (int64_t c = 0; c < row; ++c) {
                if (c == before && n_last > 0) {  // the unpadded middle of the row
                    std::memcpy(d + c * es, s, static_cast<size_t>(n_last) * es);
                    c += n_last - 1;
                    continue;
                }
                const int64_t idx = last_map[static_cast<size_t>(c)];
                if (idx < 0) std::memcpy(d + c * es, fill, es);
                else std::memcpy(d + c * es, s + idx * static_cast<int64_t>(es), es);
            }
        }
    });
}

}  // namespace opencoreml::mil
