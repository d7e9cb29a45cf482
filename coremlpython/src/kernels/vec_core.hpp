// opencoreml kernels: branch-free float32 approximations on vectors (any width of vec_simd's
// Vec<W>::F), the building blocks of vec_math. Every function computes all lanes the same
// way and chooses between candidate results with lane selects, so it vectorises fully.
//
// Lane masks are only used directly in selects (a > b ? x : y): GCC scalarises AVX-512 code
// that combines them with & or |.
//
// Method (coefficients are Taylor coefficients 1/k! and 2/(2k+1), or fitted for this file by
// weighted least squares on Chebyshev nodes, see erf below):
//   exp:  x = n ln2 + r, |r| <= ln2/2 (Cody-Waite split of ln2), e^r by its degree-7 Taylor
//         polynomial (truncation < 0.05 ulp), scaled by 2^n as two factors 2^a 2^b so the
//         denormal range and overflow come out of the final multiply, rounded once.
//   log:  x = 2^e m, m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s), s = (m-1)/(m+1).
//   erf:  |x| < 0.75: x P(x^2); else 1 - erfc, erfc(z) = exp(-z^2) t R(t), t = 1/(1+z/2),
//         with exp(-z^2) evaluated from an exactly split z^2 so the tail keeps full accuracy.
#pragma once

#include "kernels/vec_simd.hpp"

namespace opencoreml::kernels::vm::detail {

constexpr float kLog2e = 1.44269504088896341f;
// ln 2 split so n * kLn2Hi is exact for |n| < 2^8 (kLn2Hi has 16 significant bits).
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.42860682030941723e-06f;
constexpr float kRoundShift = 12582912.0f;  // 1.5 * 2^23: x + shift rounds x to an integer

template <class F>
OCML_VEC_INLINE F vabs(F x) {
    using I = decltype(x < x);
    return from_bits<F>(bits(x) & (I{} + 0x7fffffff));
}
// |magnitude| with the sign of `sign`.
template <class F>
OCML_VEC_INLINE F copysign(F magnitude, F sign) {
    using I = decltype(sign < sign);
    const I s = bits(sign) & (I{} + int32_t(0x80000000u));
    return from_bits<F>((bits(magnitude) & (I{} + 0x7fffffff)) | s);
}
// NaN-preserving clamps: a NaN lane fails both comparisons and stays NaN.
template <class F>
OCML_VEC_INLINE F clamp(F x, float lo, float hi) {
    x = x > hi ? F{} + hi : x;
    return x < lo ? F{} + lo : x;
}
template <class F>
OCML_VEC_INLINE F poly_exp_taylor(F r) {
    // e^r - 1 - r = r^2 (1/2 + r/6 + ... + r^5/5040), |r| <= 0.35.
    F p = F{} + 1.98412698e-4f;
    p = p * r + 1.38888889e-3f;
    p = p * r + 8.33333333e-3f;
    p = p * r + 4.16666667e-2f;
    p = p * r + 1.66666667e-1f;
    p = p * r + 0.5f;
    return p * (r * r);
}
// 2^n for integer lanes n in [-126, 127] (always a normal float).
template <class F, class I>
OCML_VEC_INLINE F pow2i(I n) {
    return from_bits<F>((n + 127) << 23);
}

// e^(hi + lo) * 2^k for |lo| small next to 1, hi + lo in [-150, 89] or NaN, 0 <= k <= 64
// (below -104 only with k > 0: e^-104 is under half the smallest denormal).
// exp_hilo lets erf pass exp(-z^2) with z^2 split exactly; k > 0 lifts results that would be
// denormal so a caller multiplying them further rounds into the denormal range only once.
template <bool kHasLo = true, class F>
OCML_VEC_INLINE F exp_hilo(F hi, F lo, int k = 0) {
    using I = decltype(hi < hi);
    // (x + 0 is not x for x = -0, so the compiler cannot drop a zero lo by itself.)
    const F t = (kHasLo ? hi + lo : hi) * kLog2e + kRoundShift;
    const F n = t - kRoundShift;
    const I ni = bits(t) - bits(F{} + kRoundShift) + k;
    const F r = (kHasLo ? (hi - n * kLn2Hi) + lo : hi - n * kLn2Hi) - n * kLn2Lo;
    const F p = (r + poly_exp_taylor(r)) + 1.0f;
    // 2^n as 2^a * 2^b with a, b in [-109, 97]: denormal results round once, at the end.
    const I a = ni >> 1;
    return p * pow2i<F>(a) * pow2i<F>(ni - a);
}
constexpr float kTwoPow64 = 18446744073709551616.0f;
constexpr float kTwoPowMinus64 = 5.42101086242752217e-20f;

// e^x. Below -104 the result is 0 (e^-104 < half the smallest denormal), above 89 inf.
template <class F>
OCML_VEC_INLINE F vexp(F x) {
    return exp_hilo<false>(clamp(x, -104.0f, 89.0f), F{});
}

// 2^x.
template <class F>
OCML_VEC_INLINE F vexp2(F x) {
    using I = decltype(x < x);
    x = clamp(x, -151.0f, 129.0f);
    const F t = x + kRoundShift;
    const F n = t - kRoundShift;
    const I ni = bits(t) - bits(F{} + kRoundShift);
    const F r = (x - n) * 0.693147180559945309f;  // x - n is exact
    const F p = (r + poly_exp_taylor(r)) + 1.0f;
    const I a = ni >> 1;
    return p * pow2i<F>(a) * pow2i<F>(ni - a);
}

// e^x - 1 for x in [-20, 88] (callers clamp; below -20 the float result is -1): s q + (s - 1)
// with s = 2^n and q = e^r - 1 computed without cancellation.
template <class F>
OCML_VEC_INLINE F expm1_core(F x) {
    using I = decltype(x < x);
    const F t = x * kLog2e + kRoundShift;
    const F n = t - kRoundShift;
    const I ni = bits(t) - bits(F{} + kRoundShift);
    const F r = (x - n * kLn2Hi) - n * kLn2Lo;
    const F q = r + poly_exp_taylor(r);
    const F s = from_bits<F>((ni + 127) << 23);
    return s * q + (s - 1.0f);
}

template <class F>
OCML_VEC_INLINE F vexpm1(F x) {
    const F small = expm1_core(clamp(x, -20.0f, 80.0f));
    // Past 80, e^x - 1 == e^x in float; vexp also handles the overflow edge near 88.7.
    return x > 80.0f ? vexp(x) : small;
}

// Natural log. log(0) = -inf, log(x < 0) = NaN, log(inf) = inf; denormals are exact inputs.
template <class F>
OCML_VEC_INLINE F vlog(F x) {
    using I = decltype(x < x);
    const I denormal = x < 1.17549435e-38f;
    const F xs = denormal ? x * 8388608.0f : x;  // * 2^23 makes a denormal normal
    // Subtracting the bits of sqrt(1/2) puts the exponent boundary there, so the mantissa
    // lands in [sqrt(1/2), sqrt(2)) and log m is small and symmetric around 0.
    const int32_t kSqrtHalfBits = 0x3f3504f3;
    const I shifted = bits(xs) - kSqrtHalfBits;
    const I e_int = (shifted >> 23) + (denormal & (I{} - 23));
    const F m = from_bits<F>((shifted & 0x007fffff) + kSqrtHalfBits);
    const F e = __builtin_convertvector(e_int, F);
    const F f = m - 1.0f;  // exact (Sterbenz)
    const F s = f / (f + 2.0f);
    const F z = s * s;
    // 2 atanh(s) = 2s + s R(z), R(z) = z (2/3 + 2z/5 + 2z^2/7 + 2z^3/9), |s| < 0.172.
    F R = F{} + 0.222222222f;
    R = R * z + 0.285714286f;
    R = R * z + 0.4f;
    R = R * z + 0.666666667f;
    R = R * z;
    // 2s = f - s f, so log(1 + f) = f - s (f - R): only the small term carries s's rounding.
    F y = (f - (s * (f - R) - e * kLn2Lo)) + e * kLn2Hi;
    y = x > 0.0f ? y : (x == 0.0f ? F{} - __builtin_inff() : F{} + __builtin_nanf(""));
    return x == __builtin_inff() ? x : y;
}

// log(1 + u) for u >= -1: log(w) of the rounded w = 1 + u, corrected by the rounding error
// (u - (w - 1)) / w (first order suffices: the error is below an ulp of w).
template <class F>
OCML_VEC_INLINE F vlog1p(F u) {
    const F w = u + 1.0f;
    const F y = vlog(w) + (u - (w - 1.0f)) / w;
    // The correction is NaN where w is 0 (log1p(-1) = -inf) or infinite (log1p(inf) = inf).
    const F finite = w < __builtin_inff() ? y : w;
    return w == 0.0f ? F{} - __builtin_inff() : finite;
}

// tanh x = e / (e + 2), e = expm1(2|x|), sign restored; |x| >= 9.1 rounds to +-1.
template <class F>
OCML_VEC_INLINE F vtanh(F x) {
    const F a = clamp(vabs(x), 0.0f, 9.1f);
    const F e = expm1_core(a + a);
    return copysign(e / (e + 2.0f), x);
}

// factor / (1 + e^-v), evaluated with e = e^-|v| <= 1 so nothing overflows and the negative
// tail keeps its precision: there sigmoid(v) = e / (1 + e), computed 2^64 times too large so
// a product that ends in the denormal range is rounded once.
template <class F>
OCML_VEC_INLINE F mul_sigmoid(F factor, F v) {
    const F e_big = exp_hilo<false>(clamp(F{} - vabs(v), -150.0f, 0.0f), F{}, 64);
    const F s = 1.0f / (e_big * kTwoPowMinus64 + 1.0f);
    return v >= 0.0f ? factor * s : ((factor * e_big) * s) * kTwoPowMinus64;
}
template <class F>
OCML_VEC_INLINE F vsigmoid(F x) {
    return mul_sigmoid(F{} + 1.0f, x);
}

// erf on [0, 0.75): z + z P(z^2) with P(0) ~ 2/sqrt(pi) - 1 (the leading 1 kept exact).
template <class F>
OCML_VEC_INLINE F erf_small(F z) {
    const F z2 = z * z;
    F p = F{} - 6.749915774e-04f;
    p = p * z2 + 5.114408210e-03f;
    p = p * z2 - 2.683465928e-02f;
    p = p * z2 + 1.128337756e-01f;
    p = p * z2 - 3.761262000e-01f;
    p = p * z2 + 1.2837916552e-01f;  // P(0) - 1
    return z + z * p;
}
// erfc(z) for z >= 0.75 (clamped to [0.75, 10.5]; past 10.5 it is below the denormals),
// given -z^2 as hi + lo with hi exact, times 2^k (see exp_hilo). erfc(z) = exp(-z^2) t R(t), t = 1/(1 + z/2): R is a
// degree-8 fit of erfcx(z)(1 + z/2) on [0.75, 10.5] (relative fit error 5.4e-9).
template <class F>
OCML_VEC_INLINE F erfc_large(F z, F neg_z2_hi, F neg_z2_lo, int k = 0) {
    const F t = 1.0f / (clamp(z, 0.75f, 10.5f) * 0.5f + 1.0f);
    F R = F{} - 5.063539371e-02f;
    R = R * t + 2.595540583e-01f;
    R = R * t - 4.580889940e-01f;
    R = R * t + 2.620084584e-01f;
    R = R * t - 2.319937386e-02f;
    R = R * t + 2.032169998e-01f;
    R = R * t + 2.426852882e-01f;
    R = R * t + 2.824522853e-01f;
    R = R * t + 2.820816338e-01f;
    return exp_hilo(clamp(neg_z2_hi, -150.0f, 0.0f), neg_z2_lo, k) * (t * R);
}
// -z^2 as hi + lo: z truncated to 12 significant bits squares exactly.
template <class F>
OCML_VEC_INLINE void neg_square_split(F z, F& hi, F& lo) {
    const F zh = from_bits<F>(bits(z) & int32_t(0xfffff000u));
    hi = F{} - zh * zh;
    lo = (zh - z) * (z + zh);
}

template <class F>
OCML_VEC_INLINE F verf(F x) {
    const F z = vabs(x);
    const F zc = clamp(z, 0.0f, 10.5f);
    F hi, lo;
    neg_square_split(zc, hi, lo);
    const F large = 1.0f - erfc_large(zc, hi, lo);
    return copysign(z < 0.75f ? erf_small(z) : large, x);
}

// x Phi(x), Phi(x) = (1 + erf(x/sqrt 2)) / 2; for x < 0, Phi = erfc(|x|/sqrt 2) / 2 directly,
// so the negative tail has no cancellation. z^2 = x^2/2 is split from x itself.
template <class F>
OCML_VEC_INLINE F vgelu_erf(F x) {
    const F ax = clamp(vabs(x), 0.0f, 17.5f);  // past 17.5 both tails are exact (0 or x)
    const F z = ax * 0.707106781186547524f;
    F hi, lo;
    neg_square_split(ax, hi, lo);
    const F half_erfc_big = 0.5f * erfc_large(z, hi * 0.5f, lo * 0.5f, 64);  // * 2^64
    const F half_erf = 0.5f * erf_small(clamp(z, 0.0f, 0.75f));
    const F upper = z < 0.75f ? 0.5f + half_erf : 1.0f - half_erfc_big * kTwoPowMinus64;  // Phi(|x|)
    const F lower_small = x * (0.5f - half_erf);                                         // x Phi(-|x|)
    const F lower = z < 0.75f ? lower_small : (x * half_erfc_big) * kTwoPowMinus64;
    return x >= 0.0f ? x * upper : lower;
}

// 0.5 x (1 + tanh u) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): no cancellation in
// the negative tail.
template <class F>
OCML_VEC_INLINE F vgelu_tanh(F x) {
    const F two_u = x * (1.59576912160573071f + 0.0713548162726008f * (x * x));
    return mul_sigmoid(x, two_u);
}

}  // namespace opencoreml::kernels::vm::detail
