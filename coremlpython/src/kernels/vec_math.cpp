// opencoreml kernels: the elementwise array functions of vec_math.hpp — each one a small
// vector functor over vec_core's approximations, run by vec_simd's per-ISA array loop.
#include "kernels/vec_math.hpp"

#include <cstdlib>
#include <cstring>

#include "kernels/vec_core.hpp"

namespace opencoreml::kernels::vm {
namespace detail {

namespace {
int probe_level() {
#if OCML_VEC_X86
    __builtin_cpu_init();  // harmless if done; needed if we run before libgcc's constructor
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    int level = avx512 ? 2 : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
    // OPENCOREML_VEC_ISA=avx2|baseline caps the level, so tests can check every variant on
    // one machine.
    if (const char* cap = std::getenv("OPENCOREML_VEC_ISA")) {
        if (std::strcmp(cap, "baseline") == 0) level = 0;
        else if (std::strcmp(cap, "avx2") == 0 && level > 1) level = 1;
    }
    return level;
#else
    return 0;
#endif
}
}  // namespace

int isa_level() {
    static const int level = probe_level();  // probed once, thread-safe
    return level;
}

}  // namespace detail

using namespace detail;

int lanes() {
    const int level = isa_level();
    return level == 2 ? 16 : level == 1 ? 8 : 4;
}

#define OCML_VEC_UNARY(name, expr)                       \
    namespace {                                          \
    struct name##_fn {                                   \
        template <class F>                               \
        OCML_VEC_INLINE F operator()(F x) const {        \
            return expr;                                 \
        }                                                \
    };                                                   \
    }                                                    \
    void name(const float* x, float* y, int64_t n) { map(name##_fn{}, x, y, n); }

OCML_VEC_UNARY(exp, vexp(x))
OCML_VEC_UNARY(exp2, vexp2(x))
OCML_VEC_UNARY(expm1, vexpm1(x))
OCML_VEC_UNARY(log, vlog(x))
OCML_VEC_UNARY(log1p, vlog1p(x))
OCML_VEC_UNARY(tanh, vtanh(x))
OCML_VEC_UNARY(sigmoid, vsigmoid(x))
OCML_VEC_UNARY(erf, verf(x))
OCML_VEC_UNARY(silu, mul_sigmoid(x, x))
// log(1 + e^x) = max(x, 0) + log1p(e^-|x|): nothing overflows; NaN reaches the log1p term.
OCML_VEC_UNARY(softplus, (x > 0.0f ? x : F{}) + vlog1p(vexp(F{} - vabs(x))))
OCML_VEC_UNARY(gelu_erf, vgelu_erf(x))
OCML_VEC_UNARY(gelu_tanh, vgelu_tanh(x))
OCML_VEC_UNARY(gelu_sigmoid, mul_sigmoid(x, x * 1.702f))
#undef OCML_VEC_UNARY

namespace {
struct elu_fn {
    float alpha;
    template <class F>
    OCML_VEC_INLINE F operator()(F x) const {
        return x > 0.0f ? x : alpha * vexpm1(x);
    }
};
struct scaled_tanh_fn {
    float alpha, beta;
    template <class F>
    OCML_VEC_INLINE F operator()(F x) const {
        return alpha * vtanh(beta * x);
    }
};
}  // namespace

void elu(const float* x, float* y, int64_t n, float alpha) { map(elu_fn{alpha}, x, y, n); }
void scaled_tanh(const float* x, float* y, int64_t n, float alpha, float beta) {
    map(scaled_tanh_fn{alpha, beta}, x, y, n);
}

const char* isa_name() {
    switch (isa_level()) {
        case 2: return "avx512";
        case 1: return "avx2";
        default: return "baseline";
    }
}

}  // namespace opencoreml::kernels::vm
