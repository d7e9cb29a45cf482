// opencoreml ML program ops: batch_offsets (see batch_offsets.hpp).
#include "mil/ops/linalg/batch_offsets.hpp"

namespace opencoreml::mil {
namespace {

// Stride (in matrices) of each out_batch dim for an operand with batch dims `batch`; 0 where
// the operand broadcasts (size 1 or missing).
std::vector<int64_t> broadcast_strides(const Shape& out_batch, const Shape& batch) {
    std::vector<int64_t> strides(out_batch.size(), 0);
    int64_t stride = 1;
    for (size_t i = 0; i < batch.size(); ++i) {
        const size_t d = batch.size() - 1 - i, o = out_batch.size() - 1 - i;
        if (batch[d] != 1) strides[o] = stride;
        stride *= batch[d];
    }
    return strides;
}

}  // namespace

std::vector<int64_t> batch_offsets(const Shape& out_batch, const Shape& a_batch, int64_t a_matrix, const Shape& b_batch,
                                   int64_t b_matrix, int64_t c_matrix) {
    const int64_t count = shape_numel(out_batch);
    std::vector<int64_t> offsets(static_cast<size_t>(3 * count));
    const std::vector<int64_t> sa = broadcast_strides(out_batch, a_batch), sb = broadcast_strides(out_batch, b_batch);
    std::vector<int64_t> index(out_batch.size(), 0);
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < count; ++i) {
        offsets[3 * i] = a * a_matrix;
        offsets[3 * i + 1] = b * b_matrix;
        offsets[3 * i + 2] = i * c_matrix;
        // Odometer step over out_batch, keeping both operands' matrix indices in step.
        for (size_t d = out_batch.size(); d-- > 0;) {
            a += sa[d];
            b += sb[d];
            if (++index[d] < out_batch[d]) break;
            a -= sa[d] * out_batch[d];
            b -= sb[d] * out_batch[d];
            index[d] = 0;
        }
    }
    return offsets;
}

}  // namespace opencoreml::mil
