// opencoreml kernels: a vectorised matrix-vector product for the per-step recurrent products
// (batch 1..few rows), where a BLAS sgemm call with M = 1 spends most of its time in
// packing and dispatch.
#pragma once

#include <cstdint>

namespace opencoreml::kernels {

// y[j] += sum_k x[k] * B[k * ldb + j] for j < N, k < K (B row-major [K, N] with row stride
// ldb). Single-threaded; compiled per instruction set like vec_math.
void gemv_accumulate(const float* x, int64_t K, const float* B, int64_t ldb, int64_t N, float* y);

}  // namespace opencoreml::kernels
