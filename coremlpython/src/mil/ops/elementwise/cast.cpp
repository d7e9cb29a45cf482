// opencoreml ML program ops: cast — converts x to the type named by the constant `dtype`:
// iOS15 "fp16", "fp32", "int32", "bool"; the iOS17 revision adds "int8", "uint8", "int16",
// "uint16" (for inputs too). Conversions follow numpy's astype where it is defined: floats
// to integers truncate toward zero, integers to narrower integers wrap around, anything to
// bool is "!= 0" (NaN is true), floats narrow to fp16 rounding to nearest even. Where numpy
// is undefined we pick the safe answer: NaN becomes 0 and out-of-range floats saturate.
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <type_traits>

#include "mil/op_api.hpp"
#include "mil/thread_pool.hpp"
#include "opencoreml/blob_codec.hpp"

namespace opencoreml::mil {
namespace {

template <DType D> struct Storage;
template <> struct Storage<DType::Bool> { using type = uint8_t; };
template <> struct Storage<DType::Int8> { using type = int8_t; };
template <> struct Storage<DType::UInt8> { using type = uint8_t; };
template <> struct Storage<DType::Int16> { using type = int16_t; };
template <> struct Storage<DType::UInt16> { using type = uint16_t; };
template <> struct Storage<DType::Int32> { using type = int32_t; };
template <> struct Storage<DType::Float16> { using type = uint16_t; };
template <> struct Storage<DType::Float32> { using type = float; };

template <DType D>
typename Storage<D>::type from_real(double v) {
    using T = typename Storage<D>::type;
    if constexpr (D == DType::Bool) {
        return v != 0.0;
    } else if constexpr (D == DType::Float32) {
        return static_cast<float>(v);
    } else if constexpr (D == DType::Float16) {
        return blob::fp64_to_fp16(v);  // once: through float32 to nearest could round twice
    } else {
        if (v != v) return 0;
        const double t = std::trunc(v);
        if (t <= static_cast<double>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
        if (t >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
        return static_cast<T>(t);
    }
}

template <DType D>
typename Storage<D>::type from_integer(int64_t v) {
    using T = typename Storage<D>::type;
    if constexpr (D == DType::Bool) {
        return v != 0;
    } else if constexpr (D == DType::Float32) {
        return static_cast<float>(v);
    } else if constexpr (D == DType::Float16) {
        return blob::fp32_to_fp16(static_cast<float>(v));
    } else {
        return static_cast<T>(static_cast<std::make_unsigned_t<T>>(static_cast<uint64_t>(v)));  // two's complement wrap
    }
}

template <DType D, class S, class Read>
void convert_range(const S* src, typename Storage<D>::type* dst, int64_t begin, int64_t end, Read read) {
    for (int64_t i = begin; i < end; ++i) dst[i] = read(src[i]);
}

// dst[begin, end) = x[begin, end) converted to D.
template <DType D>
void convert_to(const Tensor& x, void* out, int64_t begin, int64_t end) {
    using T = typename Storage<D>::type;
    T* dst = static_cast<T*>(out);
    const void* src = x.raw();
    if constexpr (D == DType::Float16) {
        // fp32 -> fp16 runs take the vectorised conversion (same bits as from_real's).
        if (x.dtype() == DType::Float32)
            return blob::fp32_to_fp16(static_cast<const float*>(src) + begin, dst + begin, static_cast<size_t>(end - begin));
    } else if constexpr (D == DType::Float32) {
        if (x.dtype() == DType::Float16)
            return blob::fp16_to_fp32(static_cast<const uint16_t*>(src) + begin, dst + begin, static_cast<size_t>(end - begin));
    }
    const auto real = [](auto v) { return from_real<D>(static_cast<double>(v)); };
    const auto integer = [](auto v) { return from_integer<D>(static_cast<int64_t>(v)); };
    switch (x.dtype()) {
        case DType::Float32: return convert_range<D>(static_cast<const float*>(src), dst, begin, end, real);
        case DType::Float64: return convert_range<D>(static_cast<const double*>(src), dst, begin, end, real);
        case DType::Float16:
            return convert_range<D>(static_cast<const uint16_t*>(src), dst, begin, end,
                                    [](uint16_t h) { return from_real<D>(blob::fp16_to_fp32(h)); });
        case DType::BFloat16:
            return convert_range<D>(static_cast<const uint16_t*>(src), dst, begin, end,
                                    [](uint16_t h) { return from_real<D>(blob::bf16_to_fp32(h)); });
        case DType::Bool:
            return convert_range<D>(static_cast<const uint8_t*>(src), dst, begin, end,
                                    [](uint8_t b) { return from_integer<D>(b != 0); });
        case DType::Int8: return convert_range<D>(static_cast<const int8_t*>(src), dst, begin, end, integer);
        case DType::UInt8: return convert_range<D>(static_cast<const uint8_t*>(src), dst, begin, end, integer);
        case DType::Int16: return convert_range<D>(static_cast<const int16_t*>(src), dst, begin, end, integer);
        case DType::UInt16: return convert_range<D>(static_cast<const uint16_t*>(src), dst, begin, end, integer);
        case DType::Int32: return convert_range<D>(static_cast<const int32_t*>(src), dst, begin, end, integer);
        case DType::UInt32: return convert_range<D>(static_cast<const uint32_t*>(src), dst, begin, end, integer);
        case DType::Int64: return convert_range<D>(static_cast<const int64_t*>(src), dst, begin, end, integer);
        case DType::UInt64: return convert_range<D>(static_cast<const uint64_t*>(src), dst, begin, end, integer);
    }
}

using Converter = void (*)(const Tensor&, void*, int64_t, int64_t);

struct Target {
    DType dtype;
    Converter convert;
    int since;  // first opset accepting this dtype name
};

const std::map<std::string, Target>& targets() {
    static const std::map<std::string, Target> table = {
        {"fp16", {DType::Float16, convert_to<DType::Float16>, kIOS15}},
        {"fp32", {DType::Float32, convert_to<DType::Float32>, kIOS15}},
        {"int32", {DType::Int32, convert_to<DType::Int32>, kIOS15}},
        {"bool", {DType::Bool, convert_to<DType::Bool>, kIOS15}},
        {"int8", {DType::Int8, convert_to<DType::Int8>, kIOS17}},
        {"uint8", {DType::UInt8, convert_to<DType::UInt8>, kIOS17}},
        {"int16", {DType::Int16, convert_to<DType::Int16>, kIOS17}},
        {"uint16", {DType::UInt16, convert_to<DType::UInt16>, kIOS17}},
    };
    return table;
}

std::string accepted_names(int opset) {
    std::string names;
    for (const auto& [name, target] : targets())
        if (target.since <= opset) names += (names.empty() ? "" : ", ") + name;
    return names;
}

class CastKernel final : public Kernel {
public:
    explicit CastKernel(Target target) : target_(target) {}

    void run(RunContext& ctx) const override {
        const Tensor& x = ctx.input("x");
        if (x.dtype() == target_.dtype) {  // nothing to convert: share the input's storage
            ctx.set_output(0, RtValue(x));
            return;
        }
        Tensor& out = ctx.allocate_output(0, target_.dtype, x.shape());
        void* dst = out.raw();
        const Converter convert = target_.convert;
        ctx.threads().parallel_for(x.numel(), 1 << 15, [&](int64_t begin, int64_t end) { convert(x, dst, begin, end); });
    }

private:
    Target target_;
};

std::unique_ptr<Kernel> make_cast(const BuildContext& ctx) {
    const std::string name = ctx.const_string("dtype");
    const auto it = targets().find(name);
    if (it == targets().end() || it->second.since > ctx.opset())
        ctx.fail("dtype '" + name + "' is not supported; expected one of " + accepted_names(ctx.opset()));
    const Target target = it->second;
    if (ctx.output_dtype(0) != target.dtype)
        ctx.fail(std::string("dtype '") + name + "' but the output is declared " + dtype_name(ctx.output_dtype(0)));
    const InputInfo& x = ctx.input("x");
    if (x.is_list || x.is_string) ctx.fail("input 'x' must be a tensor");
    return std::make_unique<CastKernel>(target);
}

}  // namespace

OCML_REGISTER_MIL_OP("cast", kIOS15, make_cast)

}  // namespace opencoreml::mil
