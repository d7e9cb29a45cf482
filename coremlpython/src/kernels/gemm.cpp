// opencoreml kernels: the OpenBLAS adapter behind gemm.hpp, and the work splitting that runs
// single-threaded library calls on the runtime's thread pool.
#include "kernels/gemm.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "mil/thread_pool.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::kernels {
namespace {

// Below this many multiply-adds a product runs on the calling thread: waking the pool costs
// more than the ~10 us such a product takes (benchmarks/README.md, "GEMM library").
constexpr int64_t kParallelWork = int64_t(1) << 19;

void init_library_once() {
    // The library's own threads would compete with the runtime's pool (and with concurrent
    // predict calls); all parallelism comes from splitting the work below instead.
    static const bool done = (scipy_openblas_set_num_threads(1), true);
    (void)done;
}

blasint to_blas(int64_t v, const char* what) {
    if (v < 0 || v > INT_MAX)
        throw Error(ErrorCode::InvalidArgument,
                    std::string("matrix product: ") + what + " = " + std::to_string(v) + " is out of range for BLAS");
    return static_cast<blasint>(v);
}

template <typename T>
bool empty_product(const GemmArgs<T>& g) {
    if (g.M == 0 || g.N == 0) return true;
    if (g.K > 0) return false;
    if (!g.accumulate)  // a sum over nothing is zero
        for (int64_t i = 0; i < g.M; ++i) std::fill(g.C + i * g.ldc, g.C + i * g.ldc + g.N, T(0));
    return true;
}

// A one-row (or one-column) product as a matrix-vector product: OpenBLAS runs sgemm with
// M = 1 up to 20x slower than sgemv (benchmarks/README.md), and batch-1 models are all M = 1.
bool gemv_call(const GemmArgs<float>& g) {
    if (g.M != 1 && g.N != 1) return false;
    // Some OpenBLAS versions scale y by beta = 0 instead of overwriting it, which would keep
    // NaNs left in a recycled buffer: clear y first.
    if (!g.accumulate) {
        const int64_t n = g.M == 1 ? g.N : g.M, stride = g.M == 1 ? 1 : std::max<int64_t>(g.ldc, 1);
        for (int64_t i = 0; i < n; ++i) g.C[i * stride] = 0.0f;
    }
    const float beta = g.accumulate ? 1.0f : 0.0f;
    auto inc = [](int64_t v) { return to_blas(std::max<int64_t>(v, 1), "vector stride"); };
    if (g.M == 1) {
        // C[1,N] = A[1,K] * op(B): y = op(B)^T a, with B read as [N,K] (trans_b) or [K,N].
        const int64_t rows = g.trans_b ? g.N : g.K, cols = g.trans_b ? g.K : g.N;
        scipy_cblas_sgemv(CblasRowMajor, g.trans_b ? CblasNoTrans : CblasTrans, to_blas(rows, "rows"),
                          to_blas(cols, "cols"), 1.0f, g.B, to_blas(std::max<int64_t>({g.ldb, cols, 1}), "ldb"), g.A,
                          g.trans_a ? inc(g.lda) : 1, beta, g.C, 1);
        return true;
    }
    if (g.N == 1) {
        // C[M,1] = op(A) * b: y = op(A) b, with A read as [M,K] or [K,M] (trans_a).
        const int64_t rows = g.trans_a ? g.K : g.M, cols = g.trans_a ? g.M : g.K;
        scipy_cblas_sgemv(CblasRowMajor, g.trans_a ? CblasTrans : CblasNoTrans, to_blas(rows, "rows"),
                          to_blas(cols, "cols"), 1.0f, g.A, to_blas(std::max<int64_t>({g.lda, cols, 1}), "lda"), g.B,
                          g.trans_b ? 1 : inc(g.ldb), beta, g.C, inc(g.ldc));
        return true;
    }
    return false;
}

void blas_call(const GemmArgs<float>& g) {
    if (empty_product(g)) return;
    if (gemv_call(g)) return;
    // BLAS insists on leading dimensions of at least the row length even for a single row.
    const int64_t a_cols = g.trans_a ? g.M : g.K, b_cols = g.trans_b ? g.K : g.N;
    scipy_cblas_sgemm(CblasRowMajor, g.trans_a ? CblasTrans : CblasNoTrans, g.trans_b ? CblasTrans : CblasNoTrans,
                      to_blas(g.M, "M"), to_blas(g.N, "N"), to_blas(g.K, "K"), 1.0f, g.A,
                      to_blas(std::max<int64_t>({g.lda, a_cols, 1}), "lda"), g.B,
                      to_blas(std::max<int64_t>({g.ldb, b_cols, 1}), "ldb"), g.accumulate ? 1.0f : 0.0f, g.C,
                      to_blas(std::max<int64_t>({g.ldc, g.N, 1}), "ldc"));
}

// Rows [m0, m1) (or columns [n0, n1)) of the product as a product of their own.
template <typename T>
GemmArgs<T> row_block(GemmArgs<T> g, int64_t m0, int64_t m1) {
    g.A += g.trans_a ? m0 : m0 * g.lda;
    g.C += m0 * g.ldc;
    g.M = m1 - m0;
    return g;
}
template <typename T>
GemmArgs<T> column_block(GemmArgs<T> g, int64_t n0, int64_t n1) {
    g.B += g.trans_b ? n0 * g.ldb : n0;
    g.C += n0;
    g.N = n1 - n0;
    return g;
}

template <typename T, typename Run>
void split_product(const GemmArgs<T>& g, mil::ThreadPool* pool, Run run) {
    const int threads = pool ? pool->size() : 1;
    if (threads < 2 || g.M * g.N * g.K < kParallelWork) {
        run(g);
        return;
    }
    // Split the longer side into one block per thread; column blocks stay multiples of 16 so
    // each keeps whole vector registers.
    if (g.N >= g.M) {
        const int64_t block = (g.N / threads + 15) / 16 * 16;
        const int64_t blocks = (g.N + block - 1) / block;
        pool->parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
            for (int64_t b = b0; b < b1; ++b) run(column_block(g, b * block, std::min(g.N, (b + 1) * block)));
        });
    } else {
        const int64_t block = (g.M + threads - 1) / threads;
        const int64_t blocks = (g.M + block - 1) / block;
        pool->parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
            for (int64_t b = b0; b < b1; ++b) run(row_block(g, b * block, std::min(g.M, (b + 1) * block)));
        });
    }
}

template <typename T, typename Run>
void batched_product(const GemmArgs<T>& g, const std::vector<int64_t>& offsets, mil::ThreadPool* pool, Run run) {
    const int64_t count = static_cast<int64_t>(offsets.size() / 3);
    auto item = [&](int64_t i) {
        GemmArgs<T> one = g;
        one.A += offsets[3 * i];
        one.B += offsets[3 * i + 1];
        one.C += offsets[3 * i + 2];
        return one;
    };
    const int threads = pool ? pool->size() : 1;
    const int64_t work = g.M * g.N * g.K;
    if (threads >= 2 && count >= threads && work * count >= kParallelWork) {
        // Enough independent products to give every thread whole ones.
        const int64_t grain = std::max<int64_t>(1, kParallelWork / std::max<int64_t>(work, 1) / 4);
        pool->parallel_for(count, grain, [&](int64_t b0, int64_t b1) {
            for (int64_t i = b0; i < b1; ++i) run(item(i));
        });
        return;
    }
    for (int64_t i = 0; i < count; ++i) split_product(item(i), pool, run);
}

// int32: C[i, :] += A[i, k] * B[k, :] when B rows are contiguous, else dot products along K.
void integer_call(const GemmArgs<int32_t>& g) {
    if (empty_product(g)) return;
    auto a_at = [&](int64_t i, int64_t k) -> uint32_t {
        return static_cast<uint32_t>(g.trans_a ? g.A[k * g.lda + i] : g.A[i * g.lda + k]);
    };
    for (int64_t i = 0; i < g.M; ++i) {
        int32_t* c = g.C + i * g.ldc;
        if (!g.trans_b) {
            // Unsigned arithmetic: int32 products wrap around instead of being undefined.
            uint32_t* cu = reinterpret_cast<uint32_t*>(c);
            if (!g.accumulate) std::fill(cu, cu + g.N, 0u);
            for (int64_t k = 0; k < g.K; ++k) {
                const uint32_t a = a_at(i, k);
                const uint32_t* b = reinterpret_cast<const uint32_t*>(g.B + k * g.ldb);
                for (int64_t j = 0; j < g.N; ++j) cu[j] += a * b[j];
            }
        } else {
            for (int64_t j = 0; j < g.N; ++j) {
                const int32_t* b = g.B + j * g.ldb;
                uint32_t sum = g.accumulate ? static_cast<uint32_t>(c[j]) : 0u;
                for (int64_t k = 0; k < g.K; ++k) sum += a_at(i, k) * static_cast<uint32_t>(b[k]);
                c[j] = static_cast<int32_t>(sum);
            }
        }
    }
}

}  // namespace

void sgemm(const GemmArgs<float>& g, mil::ThreadPool* pool) {
    init_library_once();
    split_product(g, pool, blas_call);
}

void sgemm_batched(const GemmArgs<float>& g, const std::vector<int64_t>& offsets, mil::ThreadPool* pool) {
    init_library_once();
    batched_product(g, offsets, pool, blas_call);
}

void igemm_batched(const GemmArgs<int32_t>& g, const std::vector<int64_t>& offsets, mil::ThreadPool* pool) {
    batched_product(g, offsets, pool, integer_call);
}

}  // namespace opencoreml::kernels
