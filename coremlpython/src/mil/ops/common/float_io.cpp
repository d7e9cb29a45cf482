// opencoreml ML program ops: float32 views of fp16/bf16/fp32/fp64 element runs.
#include "mil/ops/common/float_io.hpp"

#include <cstring>

#include "opencoreml/blob_codec.hpp"

namespace opencoreml::mil {

bool is_float_type(DType dtype) {
    return dtype == DType::Float32 || dtype == DType::Float16 || dtype == DType::BFloat16 || dtype == DType::Float64;
}

void load_f32(DType dtype, const void* base, int64_t offset, int64_t n, float* dst) {
    const size_t count = static_cast<size_t>(n);
    switch (dtype) {
        case DType::Float32:
            std::memcpy(dst, static_cast<const float*>(base) + offset, count * sizeof(float));
            return;
        case DType::Float16:
            blob::fp16_to_fp32(static_cast<const uint16_t*>(base) + offset, dst, count);
            return;
        case DType::BFloat16:
            blob::bf16_to_fp32(static_cast<const uint16_t*>(base) + offset, dst, count);
            return;
        case DType::Float64: {
            const double* src = static_cast<const double*>(base) + offset;
            for (size_t i = 0; i < count; ++i) dst[i] = static_cast<float>(src[i]);
            return;
        }
        default:
            throw Error(ErrorCode::InvalidArgument, std::string("load_f32: not a float type: ") + dtype_name(dtype));
    }
}

void store_f32(DType dtype, void* base, int64_t offset, int64_t n, const float* src) {
    const size_t count = static_cast<size_t>(n);
    switch (dtype) {
        case DType::Float32:
            std::memcpy(static_cast<float*>(base) + offset, src, count * sizeof(float));
            return;
        case DType::Float16:
            blob::fp32_to_fp16(src, static_cast<uint16_t*>(base) + offset, count);
            return;
        case DType::BFloat16:
            blob::fp32_to_bf16(src, static_cast<uint16_t*>(base) + offset, count);
            return;
        case DType::Float64: {
            double* dst = static_cast<double*>(base) + offset;
            for (size_t i = 0; i < count; ++i) dst[i] = src[i];
            return;
        }
        default:
            throw Error(ErrorCode::InvalidArgument, std::string("store_f32: not a float type: ") + dtype_name(dtype));
    }
}

}  // namespace opencoreml::mil
