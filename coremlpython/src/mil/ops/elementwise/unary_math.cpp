// opencoreml ML program ops: elementwise math functions without parameters (iOS15 opset):
// abs, acos, asin, atan, atanh, ceil, cos, cosh, erf, exp, exp2, floor, round, sign, sin,
// sinh, sqrt, square, tan, tanh. fp16 and fp32; abs, exp2, sign and square also int32.
#include <cmath>
#include <cstdint>

#include "kernels/vec_math.hpp"
#include "mil/ops/elementwise/float_map.hpp"

namespace opencoreml::mil {
namespace {

#define OCML_FLOAT_FN(Name, expr)                     \
    struct Name {                                     \
        float operator()(float x) const { return expr; } \
    };
OCML_FLOAT_FN(Abs, std::fabs(x))
OCML_FLOAT_FN(Acos, std::acos(x))
OCML_FLOAT_FN(Asin, std::asin(x))
OCML_FLOAT_FN(Atan, std::atan(x))
OCML_FLOAT_FN(Atanh, std::atanh(x))
OCML_FLOAT_FN(Ceil, std::ceil(x))
OCML_FLOAT_FN(Cos, std::cos(x))
OCML_FLOAT_FN(Cosh, std::cosh(x))
OCML_FLOAT_FN(Floor, std::floor(x))
// MIL's round is numpy's: halves go to the even neighbour (0.5 -> 0, 1.5 -> 2).
OCML_FLOAT_FN(Round, std::nearbyint(x))
// Zero (either sign) and NaN pass through, as in numpy.
OCML_FLOAT_FN(Sign, x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x))
OCML_FLOAT_FN(Sin, std::sin(x))
OCML_FLOAT_FN(Sinh, std::sinh(x))
OCML_FLOAT_FN(Sqrt, std::sqrt(x))
OCML_FLOAT_FN(Square, x * x)
OCML_FLOAT_FN(Tan, std::tan(x))
#undef OCML_FLOAT_FN

// Vectorised through kernels/vec_math (within a few ulp of float32; see its header).
using Erf = ArrayFn<kernels::vm::erf>;
using Exp = ArrayFn<kernels::vm::exp>;
using Exp2 = ArrayFn<kernels::vm::exp2>;
using Tanh = ArrayFn<kernels::vm::tanh>;

// int32 forms wrap around on overflow like numpy's int32 (abs(INT32_MIN) == INT32_MIN).
struct AbsInt {
    int32_t operator()(int32_t x) const {
        return x < 0 ? static_cast<int32_t>(0u - static_cast<uint32_t>(x)) : x;
    }
};
struct SignInt {
    int32_t operator()(int32_t x) const { return (x > 0) - (x < 0); }
};
struct SquareInt {
    int32_t operator()(int32_t x) const {
        return static_cast<int32_t>(static_cast<uint32_t>(x) * static_cast<uint32_t>(x));
    }
};
// 2^x truncated to an integer: 0 for negative x (2^-1 = 0.5 -> 0); wraps past 2^31.
struct Exp2Int {
    int32_t operator()(int32_t x) const {
        return (x < 0 || x >= 32) ? 0 : static_cast<int32_t>(uint32_t{1} << x);
    }
};

template <class Fn>
constexpr auto float_op = &unary_kernel<Fn, Cost::Transcendental>;
template <class Fn>
constexpr auto vec_float_op = &unary_kernel<Fn, Cost::Vectorized>;
template <class Fn>
constexpr auto cheap_float_op = &unary_kernel<Fn, Cost::Cheap>;
template <class Fn, class IntFn>
std::unique_ptr<Kernel> float_int_op(const BuildContext& ctx) {
    return make_unary(ctx, Fn{}, IntFn{}, Cost::Cheap);
}

}  // namespace

OCML_REGISTER_MIL_OP("abs", kIOS15, (float_int_op<Abs, AbsInt>))
OCML_REGISTER_MIL_OP("acos", kIOS15, float_op<Acos>)
OCML_REGISTER_MIL_OP("asin", kIOS15, float_op<Asin>)
OCML_REGISTER_MIL_OP("atan", kIOS15, float_op<Atan>)
OCML_REGISTER_MIL_OP("atanh", kIOS15, float_op<Atanh>)
OCML_REGISTER_MIL_OP("ceil", kIOS15, cheap_float_op<Ceil>)
OCML_REGISTER_MIL_OP("cos", kIOS15, float_op<Cos>)
OCML_REGISTER_MIL_OP("cosh", kIOS15, float_op<Cosh>)
OCML_REGISTER_MIL_OP("erf", kIOS15, vec_float_op<Erf>)
OCML_REGISTER_MIL_OP("exp", kIOS15, vec_float_op<Exp>)
OCML_REGISTER_MIL_OP("exp2", kIOS15, (float_int_op<Exp2, Exp2Int>))
OCML_REGISTER_MIL_OP("floor", kIOS15, cheap_float_op<Floor>)
OCML_REGISTER_MIL_OP("round", kIOS15, cheap_float_op<Round>)
OCML_REGISTER_MIL_OP("sign", kIOS15, (float_int_op<Sign, SignInt>))
OCML_REGISTER_MIL_OP("sin", kIOS15, float_op<Sin>)
OCML_REGISTER_MIL_OP("sinh", kIOS15, float_op<Sinh>)
OCML_REGISTER_MIL_OP("sqrt", kIOS15, cheap_float_op<Sqrt>)
OCML_REGISTER_MIL_OP("square", kIOS15, (float_int_op<Square, SquareInt>))
OCML_REGISTER_MIL_OP("tan", kIOS15, float_op<Tan>)
OCML_REGISTER_MIL_OP("tanh", kIOS15, vec_float_op<Tanh>)

}  // namespace opencoreml::mil
