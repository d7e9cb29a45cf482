// opencoreml ML program ops: the scalar semantics of MIL's elementwise binary ops, one
// struct per op with a float form (fp16 programs compute in float32 too) and an int32 form.
// They follow numpy, the ops' reference: IEEE results for division by zero, NaN and inf;
// NaN-propagating maximum/minimum; floor semantics for floor_div and mod (the remainder
// takes the divisor's sign). int32 arithmetic wraps around like numpy's int32; integer
// division or modulo by zero gives 0 (numpy's value, without its warning).
#pragma once

#include <cmath>
#include <cstdint>

namespace opencoreml::mil::binary {

inline int32_t wrap(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v))); }

struct Add {
    static constexpr bool kCostly = false;
    float operator()(float a, float b) const { return a + b; }
    int32_t operator()(int32_t a, int32_t b) const { return wrap(int64_t{a} + b); }
};
struct Sub {
    static constexpr bool kCostly = false;
    float operator()(float a, float b) const { return a - b; }
    int32_t operator()(int32_t a, int32_t b) const { return wrap(int64_t{a} - b); }
};
struct Mul {
    static constexpr bool kCostly = false;
    float operator()(float a, float b) const { return a * b; }
    int32_t operator()(int32_t a, int32_t b) const { return wrap(int64_t{a} * b); }
};
// int32 real_div keeps int32: the quotient truncated toward zero, as casting numpy's true
// division to int32 does.
struct RealDiv {
    static constexpr bool kCostly = false;
    float operator()(float a, float b) const { return a / b; }
    int32_t operator()(int32_t a, int32_t b) const { return b == 0 ? 0 : wrap(int64_t{a} / b); }
};
struct FloorDiv {
    static constexpr bool kCostly = true;
    // Division through fmod so that the result is the exact floor even when a / b rounds up
    // onto an integer (e.g. 1 // 0.1 is 9, not 10).
    float operator()(float a, float b) const {
        if (b == 0.0f) return a / b;
        const float m = std::fmod(a, b);
        float q = (a - m) / b;
        if (m != 0.0f && ((b < 0.0f) != (m < 0.0f))) q -= 1.0f;
        if (q == 0.0f) return std::copysign(0.0f, a / b);
        float f = std::floor(q);
        if (q - f > 0.5f) f += 1.0f;
        return f;
    }
    int32_t operator()(int32_t a, int32_t b) const {
        if (b == 0) return 0;
        int64_t q = int64_t{a} / b;
        if ((int64_t{a} % b != 0) && ((a < 0) != (b < 0))) --q;
        return wrap(q);
    }
};
struct Mod {
    static constexpr bool kCostly = true;
    float operator()(float a, float b) const {
        float m = std::fmod(a, b);  // NaN when b == 0, as numpy
        if (m != 0.0f) {
            if ((b < 0.0f) != (m < 0.0f)) m += b;
        } else {
            m = std::copysign(0.0f, b);
        }
        return m;
    }
    int32_t operator()(int32_t a, int32_t b) const {
        if (b == 0) return 0;
        int64_t m = int64_t{a} % b;
        if (m != 0 && ((m < 0) != (b < 0))) m += b;
        return wrap(m);
    }
};
// int32 powers by squaring (wrapping); a negative exponent gives the truncated real result:
// 1 for base 1, +-1 for base -1, 0 otherwise (numpy refuses these).
struct Pow {
    static constexpr bool kCostly = true;
    float operator()(float a, float b) const { return std::pow(a, b); }
    int32_t operator()(int32_t a, int32_t b) const {
        if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
        uint32_t result = 1, base = static_cast<uint32_t>(a);
        for (uint32_t e = static_cast<uint32_t>(b); e; e >>= 1) {
            if (e & 1u) result *= base;
            base *= base;
        }
        return static_cast<int32_t>(result);
    }
};
struct Maximum {
    static constexpr bool kCostly = false;
    float operator()(float a, float b) const { return (a > b || a != a) ? a : b; }  // NaN in b falls to b
    int32_t operator()(int32_t a, int32_t b) const { return a > b ? a : b; }
};
struct Minimum {
    static constexpr bool kCostly = false;
    float operator()(float a, float b) const { return (a < b || a != a) ? a : b; }
    int32_t operator()(int32_t a, int32_t b) const { return a < b ? a : b; }
};

// Comparisons: bool results (stored as one byte). NaN compares unequal to everything.
#define OCML_COMPARISON(Name, op)                                             \
    struct Name {                                                            \
        static constexpr bool kCostly = false;                               \
        bool operator()(float a, float b) const { return a op b; }           \
        bool operator()(int32_t a, int32_t b) const { return a op b; }       \
    };
OCML_COMPARISON(Equal, ==)
OCML_COMPARISON(NotEqual, !=)
OCML_COMPARISON(Greater, >)
OCML_COMPARISON(GreaterEqual, >=)
OCML_COMPARISON(Less, <)
OCML_COMPARISON(LessEqual, <=)
#undef OCML_COMPARISON

// Logical ops on MIL bools (bytes; any non-zero byte is true).
struct LogicalAnd {
    static constexpr bool kCostly = false;
    bool operator()(uint8_t a, uint8_t b) const { return (a != 0) & (b != 0); }
};
struct LogicalOr {
    static constexpr bool kCostly = false;
    bool operator()(uint8_t a, uint8_t b) const { return (a != 0) | (b != 0); }
};
struct LogicalXor {
    static constexpr bool kCostly = false;
    bool operator()(uint8_t a, uint8_t b) const { return (a != 0) != (b != 0); }
};

}  // namespace opencoreml::mil::binary
