// Times row-major sgemm C[M,N] = A[M,K] * B[K,N] for the shapes opencoreml runs (MLP layers,
// transformer projections, ResNet-style im2col products), through OpenBLAS (scipy-openblas32)
// or oneDNN (the onednn wheel), chosen at compile time; see README.md "GEMM library".
//
//   gemm_bench 1          one thread
//   gemm_bench 2          the library's own two threads
//   gemm_bench 2 split    (OpenBLAS) the library single-threaded, C split in two halves run by
//                         a persistent second thread -- how opencoreml parallelises products
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>
#ifdef USE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
static const char* kLib = "onednn";
static void sgemm(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc) {
    dnnl_sgemm('N', 'N', M, N, K, 1.f, A, lda, B, ldb, 0.f, C, ldc);
}
static void set_threads(int) {}  // TBB: restrict with taskset instead
#else
#include <cblas.h>
static const char* kLib = "openblas";
static void sgemm(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc) {
    scipy_cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, A, lda, B, ldb, 0.f, C, ldc);
}
static void set_threads(int n) { scipy_openblas_set_num_threads(n); }
#endif

struct Shape {
    const char* what;
    int M, N, K;
};

int main(int argc, char** argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 1;
    const bool split = argc > 2 && strcmp(argv[2], "split") == 0;
    set_threads(split ? 1 : threads);
    const Shape shapes[] = {
        {"MLP 4x32 . 32x64", 4, 64, 32},
        {"MLP 1x512 . 512x1000", 1, 1000, 512},
        {"transformer 16x64 . 64x192", 16, 192, 64},
        {"transformer 128x256 . 256x768", 128, 768, 256},
        {"conv first 64x27 . 27x1024", 64, 1024, 27},
        {"conv 64x576 . 576x1024", 64, 1024, 576},
        {"conv 128x1152 . 1152x256", 128, 256, 1152},
        {"conv 256x2304 . 2304x64", 256, 64, 2304},
        {"conv1x1 64x64 . 64x3136", 64, 3136, 64},
    };
    // split mode: the second half of every product runs on this persistent thread.
    std::atomic<int> go{0}, done{0};
    std::atomic<bool> stop{false};
    const Shape* cur = nullptr;
    std::vector<float> A, B, C;
    auto half = [&](int part) {
        const Shape& s = *cur;
        if (s.N >= s.M) {
            const int n0 = part * s.N / 2, n1 = (part + 1) * s.N / 2;
            sgemm(s.M, n1 - n0, s.K, A.data(), s.K, B.data() + n0, s.N, C.data() + n0, s.N);
        } else {
            const int m0 = part * s.M / 2, m1 = (part + 1) * s.M / 2;
            sgemm(m1 - m0, s.N, s.K, A.data() + size_t(m0) * s.K, s.K, B.data(), s.N, C.data() + size_t(m0) * s.N, s.N);
        }
    };
    std::thread helper;
    if (split)
        helper = std::thread([&] {
            int seen = 0;
            while (!stop) {
                const int g = go.load();
                if (g != seen) {
                    seen = g;
                    half(1);
                    done.fetch_add(1);
                }
            }
        });
    for (const Shape& s : shapes) {
        cur = &s;
        A.assign(size_t(s.M) * s.K, 0.f), B.assign(size_t(s.K) * s.N, 0.f), C.assign(size_t(s.M) * s.N, 0.f);
        for (size_t i = 0; i < A.size(); ++i) A[i] = float(i % 7) * 0.1f;
        for (size_t i = 0; i < B.size(); ++i) B[i] = float(i % 5) * 0.1f;
        auto once = [&] {
            if (!split) return sgemm(s.M, s.N, s.K, A.data(), s.K, B.data(), s.N, C.data(), s.N);
            const int d = done.load();
            go.fetch_add(1);
            half(0);
            while (done.load() == d) {
            }
        };
        const double flops = 2.0 * s.M * s.N * s.K;
        const int reps = std::max(1, int(3e8 / flops));  // ~0.3 s per shape; best of 5 rounds
        for (int i = 0; i < 3; ++i) once();
        double best = 1e30;
        for (int round = 0; round < 5; ++round) {
            const auto t0 = std::chrono::steady_clock::now();
            for (int r = 0; r < reps; ++r) once();
            const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps;
            best = std::min(best, us);
        }
        printf("%s%s\t%d\t%-32s\t%10.2f us\t%7.1f GFLOP/s\n", kLib, split ? "-split" : "", threads, s.what, best,
               flops / best * 1e-3);
    }
    stop = true;
    if (helper.joinable()) helper.join();
}
