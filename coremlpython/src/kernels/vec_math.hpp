// opencoreml kernels: vectorised float32 transcendental functions over arrays (exp, log,
// tanh, sigmoid, erf, gelu, ...) and the softmax row helpers built on them. Each function is
// compiled for several instruction sets (AVX-512, AVX2+FMA, baseline SSE2/NEON) and picks
// one at run time, so the build stays portable (no -march flags). OPENCOREML_VEC_ISA=avx2 or
// =baseline caps the choice (for tests and comparisons).
//
// Accuracy, in float32 ulps of the exact result for the same float32 input (measured over
// random and edge-case arrays on every instruction-set variant; tests/test_vec_math.py
// checks these bounds):
//   exp, exp2, log                   <= 1.5 ulp     tanh, sigmoid, erf, scaled_tanh  <= 3 ulp
//   expm1, log1p, elu                <= 2 ulp       silu                             <= 4 ulp
//   softplus                         <= 2.5 ulp     gelu (erf form)                  <= 6 ulp
//   gelu (tanh and sigmoid forms)    <= 4 ulp for |x| <= 1; beyond, 4 ulp plus 3 ulp per unit of
//     the inner argument v (2u resp. 1.702x): its float32 rounding, which the exponential
//     turns into a relative error of |v| 2^-24 (float32 evaluation of the formula does the same).
// +-inf and NaN give what libm gives (NaN in -> NaN out), results overflow to inf and underflow
// through the denormal range to 0 with a single rounding, tanh and erf keep the sign of zero.
// `x` and `y` may be the same array.
#pragma once

#include <cstdint>

namespace opencoreml::kernels::vm {

// Floats per vector of the instruction set these kernels run with on this CPU (16 AVX-512,
// 8 AVX2, 4 baseline): callers size tiles and padding by it.
int lanes();

void exp(const float* x, float* y, int64_t n);
void exp2(const float* x, float* y, int64_t n);
void expm1(const float* x, float* y, int64_t n);
void log(const float* x, float* y, int64_t n);
void log1p(const float* x, float* y, int64_t n);
void tanh(const float* x, float* y, int64_t n);
void sigmoid(const float* x, float* y, int64_t n);
void erf(const float* x, float* y, int64_t n);

// Activations: silu x*sigmoid(x); softplus log(1+e^x); elu x > 0 ? x : alpha*expm1(x);
// scaled_tanh alpha*tanh(beta*x).
void silu(const float* x, float* y, int64_t n);
void softplus(const float* x, float* y, int64_t n);
void elu(const float* x, float* y, int64_t n, float alpha);
void scaled_tanh(const float* x, float* y, int64_t n, float alpha, float beta);

// gelu's three MIL modes: x*Phi(x) (EXACT), 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3)))
// (TANH_APPROXIMATION), x*sigmoid(1.702x) (SIGMOID_APPROXIMATION).
void gelu_erf(const float* x, float* y, int64_t n);
void gelu_tanh(const float* x, float* y, int64_t n);
void gelu_sigmoid(const float* x, float* y, int64_t n);

// Softmax of one contiguous row: y = exp(x - max(x)) / sum. NaN anywhere in x (or a row of
// only -inf) gives NaN, as numpy does.
void softmax_row(const float* x, float* y, int64_t n);
// y[i] = exp(x[i] - shift); returns the sum of the y[i] (for softmax variants that keep
// their own maximum).
float exp_shifted_sum(const float* x, float* y, int64_t n, float shift);
// y[i] = exp(x[i] - shift[i]) and sum[i] += y[i]: one row of a softmax down columns.
void exp_sub_accumulate(const float* x, const float* shift, float* y, float* sum, int64_t n);

// Layer normalisation of one contiguous row: y = (x - mean) / sqrt(var + eps) * gamma + beta
// (gamma, beta may be null: ones, zeros); mean and biased variance accumulate in double.
void layer_norm_row(const float* x, float* y, int64_t n, const float* gamma, const float* beta, double eps);

// One LSTM step for one batch row with MIL's default activations (sigmoid gates, tanh cell
// and output, no peephole or clip): g = pre-activations [i | f | o | z] (4H), c updated in
// place, h = sigmoid(o) * tanh(c).
void lstm_cell(const float* g, float* c, float* h, int64_t H);

// Name of the instruction set the functions run with on this machine ("avx512", "avx2",
// "baseline"), for tests and profiles.
const char* isa_name();

}  // namespace opencoreml::kernels::vm
