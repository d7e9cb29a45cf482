// opencoreml kernels: the machinery behind vec_math — a fixed-width float vector type (GCC /
// Clang vector extensions, so one source serves SSE2, AVX2, AVX-512 and NEON), run-time
// selection of the widest instruction set the CPU has, and the array loops that apply a
// vector functor. Include only from the vec_*.cpp files: everything here is force-inlined
// into per-ISA entry points, so the vector code is compiled once per instruction set.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"  // wide vectors never cross a non-inlined call
#endif

#define OCML_VEC_INLINE inline __attribute__((always_inline))

#if (defined(__x86_64__) || defined(__i386__)) && !defined(OCML_VEC_BASELINE_ONLY)
#define OCML_VEC_X86 1
#define OCML_VEC_TARGET(isa) __attribute__((target(isa)))
#else
#define OCML_VEC_X86 0
#endif

namespace opencoreml::kernels::vm::detail {

template <int W>
struct Vec {
    typedef float F __attribute__((vector_size(4 * W)));
    typedef int32_t I __attribute__((vector_size(4 * W)));
    typedef double D __attribute__((vector_size(8 * W)));
};

// 0: baseline (SSE2 / NEON, 4 lanes), 1: AVX2 + FMA (8 lanes), 2: AVX-512 F/DQ/BW/VL (16
// lanes; DQ turns compare masks into vectors, without it GCC scalarises mask arithmetic).
int isa_level();

// Bit casts between float and int32 vectors of the same width.
template <class F>
OCML_VEC_INLINE auto bits(F x) {
    return (decltype(x < x))x;
}
template <class F, class I>
OCML_VEC_INLINE F from_bits(I i) {
    return (F)i;
}

// Runs body.template run<W>() with the widest vector width the CPU supports, each instance
// compiled for its instruction set.
template <class Body>
void run_baseline(const Body& body) {
    body.template run<4>();
}
#if OCML_VEC_X86
template <class Body>
OCML_VEC_TARGET("avx2,fma") void run_avx2(const Body& body) {
    body.template run<8>();
}
template <class Body>
OCML_VEC_TARGET("avx512f,avx512dq,avx512bw,avx512vl,fma") void run_avx512(const Body& body) {
    body.template run<16>();
}
#endif
template <class Body>
void dispatch(const Body& body) {
#if OCML_VEC_X86
    const int level = isa_level();
    if (level == 2) return run_avx512(body);
    if (level == 1) return run_avx2(body);
#endif
    run_baseline(body);
}

// Loads and stores of whole and partial vectors (unaligned).
template <class F>
OCML_VEC_INLINE F load(const float* p) {
    F v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <class F>
OCML_VEC_INLINE F load_partial(const float* p, int64_t m, float fill) {
    F v = F{} + fill;
    std::memcpy(&v, p, static_cast<size_t>(m) * sizeof(float));
    return v;
}
template <class F>
OCML_VEC_INLINE void store(float* p, F v) {
    std::memcpy(p, &v, sizeof v);
}
template <class F>
OCML_VEC_INLINE void store_partial(float* p, F v, int64_t m) {
    std::memcpy(p, &v, static_cast<size_t>(m) * sizeof(float));
}

// y[i] = op(x[i]) for a functor with `template <class F> F operator()(F) const`.
template <class Op>
struct MapBody {
    Op op;
    const float* x;
    float* y;
    int64_t n;
    template <int W>
    OCML_VEC_INLINE void run() const {
        using F = typename Vec<W>::F;
        int64_t i = 0;
        for (; i + W <= n; i += W) store(y + i, op(load<F>(x + i)));
        if (i < n) store_partial(y + i, op(load_partial<F>(x + i, n - i, 0.0f)), n - i);
    }
};
template <class Op>
void map(const Op& op, const float* x, float* y, int64_t n) {
    dispatch(MapBody<Op>{op, x, y, n});
}

}  // namespace opencoreml::kernels::vm::detail
