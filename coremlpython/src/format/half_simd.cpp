// opencoreml blob storage: float16 <-> float32 array conversion with the CPU's own
// instructions (see half_simd.hpp). The library is built for the baseline ISA, so the x86
// routines carry their own target attribute and are only called after a run-time check.
//
// Why the NaN checks: the hardware quietens a signalling NaN when it widens a half (sets
// the top mantissa bit), while the scalar conversion keeps the payload exactly as stored.
// Blocks holding a NaN therefore go through the scalar conversion; they are rare, and the
// check is one mask test per 32 elements on x86 (per 4 on NEON). Narrowing already agrees with the scalar
// conversion for NaN (quietened, payload truncated), but the NEON path checks anyway: its
// result depends on FPCR.DN, which this code does not control.
//
// F16C conversions ignore MXCSR's flush-to-zero and denormals-are-zero bits (checked on every
// half and on the subnormal range), so a library whose -ffast-math start-up code sets them
// cannot change the results; their rounding comes from the immediate, not from MXCSR.
#include "format/half_simd.hpp"

#include <cstdlib>
#include <cstring>

#include "opencoreml/blob_codec.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define OCML_HALF_X86 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define OCML_HALF_NEON 1
#endif

namespace opencoreml::blob::detail {

void widen_half_scalar(const uint16_t* src, float* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = blob::fp16_to_fp32(src[i]);
}

void narrow_half_scalar(const float* src, uint16_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = blob::fp32_to_fp16(src[i]);
}

namespace {

#if defined(OCML_HALF_X86)

__attribute__((target("f16c,avx2"))) inline __m256 widen8(const uint16_t* src) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src)));
}

__attribute__((target("f16c,avx2"))) inline __m256 nan_lanes(__m256 f) { return _mm256_cmp_ps(f, f, _CMP_UNORD_Q); }

__attribute__((target("f16c,avx2"))) inline bool widen8_f16c(const uint16_t* src, float* dst) {
    const __m256 f = widen8(src);
    if (_mm256_movemask_ps(nan_lanes(f)) != 0) return false;
    _mm256_storeu_ps(dst, f);
    return true;
}

__attribute__((target("f16c,avx2"))) void widen_f16c(const uint16_t* src, float* dst, size_t n) {
    size_t i = 0;
    // 32 at a time with one NaN test for all four vectors: the test is what limits the loop.
    for (; i + 32 <= n; i += 32) {
        const __m256 a = widen8(src + i), b = widen8(src + i + 8), c = widen8(src + i + 16), d = widen8(src + i + 24);
        const __m256 nan = _mm256_or_ps(_mm256_or_ps(nan_lanes(a), nan_lanes(b)), _mm256_or_ps(nan_lanes(c), nan_lanes(d)));
        if (_mm256_movemask_ps(nan) != 0) {
            widen_half_scalar(src + i, dst + i, 32);
            continue;
        }
        _mm256_storeu_ps(dst + i, a);
        _mm256_storeu_ps(dst + i + 8, b);
        _mm256_storeu_ps(dst + i + 16, c);
        _mm256_storeu_ps(dst + i + 24, d);
    }
    for (; i + 8 <= n; i += 8)
        if (!widen8_f16c(src + i, dst + i)) widen_half_scalar(src + i, dst + i, 8);
    if (i < n) {
        // Tail through a padded block so short runs (and the last few elements) stay vectorised.
        uint16_t in[8] = {};
        float out[8];
        std::memcpy(in, src + i, (n - i) * sizeof(uint16_t));
        if (!widen8_f16c(in, out)) widen_half_scalar(in, out, 8);
        std::memcpy(dst + i, out, (n - i) * sizeof(float));
    }
}

__attribute__((target("f16c,avx2"))) inline void narrow8_f16c(const float* src, uint16_t* dst) {
    // Immediate rounding control (nearest even), independent of MXCSR's rounding mode.
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), h);
}

__attribute__((target("f16c,avx2"))) void narrow_f16c(const float* src, uint16_t* dst, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        narrow8_f16c(src + i, dst + i);
        narrow8_f16c(src + i + 8, dst + i + 8);
        narrow8_f16c(src + i + 16, dst + i + 16);
        narrow8_f16c(src + i + 24, dst + i + 24);
    }
    for (; i + 8 <= n; i += 8) narrow8_f16c(src + i, dst + i);
    if (i < n) {
        float in[8] = {};
        uint16_t out[8];
        std::memcpy(in, src + i, (n - i) * sizeof(float));
        narrow8_f16c(in, out);
        std::memcpy(dst + i, out, (n - i) * sizeof(uint16_t));
    }
}

bool cpu_has_f16c() {
    // AVX2 through the compiler (its check includes the OS saving YMM registers); F16C from
    // CPUID directly, as older compilers do not know it as a __builtin_cpu_supports name.
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2")) return false;
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    return (ecx & bit_F16C) != 0;
}

#elif defined(OCML_HALF_NEON)

inline bool widen4_neon(const uint16_t* src, float* dst) {
    const float32x4_t f = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(src)));
    if (vminvq_u32(vceqq_f32(f, f)) == 0) return false;  // some lane is NaN
    vst1q_f32(dst, f);
    return true;
}

void widen_neon(const uint16_t* src, float* dst, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        if (!widen4_neon(src + i, dst + i)) widen_half_scalar(src + i, dst + i, 4);
    widen_half_scalar(src + i, dst + i, n - i);
}

inline bool narrow4_neon(const float* src, uint16_t* dst) {
    const float32x4_t f = vld1q_f32(src);
    if (vminvq_u32(vceqq_f32(f, f)) == 0) return false;
    vst1_u16(dst, vreinterpret_u16_f16(vcvt_f16_f32(f)));
    return true;
}

void narrow_neon(const float* src, uint16_t* dst, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        if (!narrow4_neon(src + i, dst + i)) narrow_half_scalar(src + i, dst + i, 4);
    narrow_half_scalar(src + i, dst + i, n - i);
}

#endif

HalfConverters choose() {
    const char* flag = std::getenv("OPENCOREML_SCALAR_FP16");
    const bool force_scalar = flag && *flag && std::strcmp(flag, "0") != 0;
    if (!force_scalar) {
#if defined(OCML_HALF_X86)
        if (cpu_has_f16c()) return {&widen_f16c, &narrow_f16c, "f16c"};
#elif defined(OCML_HALF_NEON)
        return {&widen_neon, &narrow_neon, "neon"};  // half conversions are part of AArch64's base ISA
#endif
    }
    return {&widen_half_scalar, &narrow_half_scalar, "scalar"};
}

}  // namespace

const HalfConverters& half_converters() {
    static const HalfConverters chosen = choose();
    return chosen;
}

}  // namespace opencoreml::blob::detail
