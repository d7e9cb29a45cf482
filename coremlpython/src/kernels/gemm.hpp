// opencoreml kernels: matrix products. This is the one place that talks to the BLAS library
// (OpenBLAS from scipy-openblas32, chosen by measurement: benchmarks/README.md "GEMM library");
// every op that multiplies matrices calls these functions.
//
// All matrices are row-major with explicit leading dimensions (elements between rows), so
// callers can multiply strided sub-matrices (one group of a conv, one head of an einsum)
// without copying. The library always runs single-threaded; large products are split across
// the runtime's own pool, so predict calls from many threads never oversubscribe the CPU.
#pragma once

#include <cstdint>
#include <vector>

namespace opencoreml::mil {
class ThreadPool;
}

namespace opencoreml::kernels {

// C[M,N] = op(A)[M,K] * op(B)[K,N] (+ C when accumulate), op = transpose when trans_*.
// A is [M,K] (or [K,M] when trans_a) with row stride lda; likewise B and C.
template <typename T>
struct GemmArgs {
    int64_t M = 0, N = 0, K = 0;
    bool trans_a = false, trans_b = false;
    const T* A = nullptr;
    int64_t lda = 0;
    const T* B = nullptr;
    int64_t ldb = 0;
    T* C = nullptr;
    int64_t ldc = 0;
    bool accumulate = false;  // add to C instead of overwriting it (fused bias: C pre-filled)
};

// One product; split across `pool` when it is large enough to pay for it (pool may be null).
void sgemm(const GemmArgs<float>& g, mil::ThreadPool* pool);

// `offsets.size() / 3` products of the same geometry: product i uses A + offsets[3i],
// B + offsets[3i+1], C + offsets[3i+2] (element offsets; broadcast operands repeat offsets).
void sgemm_batched(const GemmArgs<float>& g, const std::vector<int64_t>& offsets, mil::ThreadPool* pool);

// int32 products for MIL's integer matmul/linear: wrap-around arithmetic like Core ML's
// int32 tensors. No BLAS has these; plain loops ordered for contiguous inner access.
void igemm_batched(const GemmArgs<int32_t>& g, const std::vector<int64_t>& offsets, mil::ThreadPool* pool);

}  // namespace opencoreml::kernels
