// opencoreml ML program compression ops: affine dequantization arithmetic (see shift_scale.hpp).
#include "mil/ops/compression/shift_scale.hpp"

#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/compression/block_runs.hpp"

namespace opencoreml::mil::compression {

void shift_scale(const Tensor& data, const Tensor& scale, const Tensor* offset, const Shape& param_shape, float* out) {
    const Tensor x = to_f32_tensor(data), s = to_f32_tensor(scale);
    const Tensor o = offset ? to_f32_tensor(*offset) : Tensor();
    const float* xv = x.data<float>();
    const float* sv = s.data<float>();
    const float* ov = offset ? o.data<float>() : nullptr;
    for_each_block_run(data.shape(), param_shape, [&](int64_t begin, int64_t count, int64_t p) {
        const float sc = sv[p], off = ov ? ov[p] : 0.0f;
        for (int64_t i = begin; i < begin + count; ++i) out[i] = (xv[i] - off) * sc;
    });
}

}  // namespace opencoreml::mil::compression
