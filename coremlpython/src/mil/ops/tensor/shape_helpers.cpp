// opencoreml ML program ops: shape and parameter helpers (see shape_helpers.hpp).
#include "mil/ops/tensor/shape_helpers.hpp"

#include <algorithm>

namespace opencoreml::mil {

namespace {

template <typename T, typename Out>
void widen(const Tensor& t, std::vector<Out>& out) {
    const T* p = static_cast<const T*>(t.raw());
    for (int64_t i = 0; i < t.numel(); ++i) out[static_cast<size_t>(i)] = static_cast<Out>(p[i]);
}

template <typename Out>
bool decode(const Tensor& t, std::vector<Out>& out) {
    out.assign(static_cast<size_t>(t.numel()), Out{});
    switch (t.dtype()) {
        case DType::Bool: widen<uint8_t>(t, out); return true;
        case DType::Int8: widen<int8_t>(t, out); return true;
        case DType::UInt8: widen<uint8_t>(t, out); return true;
        case DType::Int16: widen<int16_t>(t, out); return true;
        case DType::UInt16: widen<uint16_t>(t, out); return true;
        case DType::Int32: widen<int32_t>(t, out); return true;
        case DType::UInt32: widen<uint32_t>(t, out); return true;
        case DType::Int64: widen<int64_t>(t, out); return true;
        case DType::UInt64: widen<uint64_t>(t, out); return true;
        default: out.clear(); return false;
    }
}

}  // namespace

bool is_index_dtype(DType dtype) { return dtype == DType::Bool || is_integer(dtype); }

std::vector<int64_t> int_values(const Tensor& t) {
    std::vector<int64_t> out;
    decode(t, out);
    return out;
}

std::vector<char> bool_values(const Tensor& t) {
    std::vector<int64_t> wide;
    decode(t, wide);
    std::vector<char> out(wide.size());
    for (size_t i = 0; i < wide.size(); ++i) out[i] = wide[i] != 0;
    return out;
}

std::vector<int64_t> contiguous_strides(const Shape& shape) {
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
    return strides;
}

int64_t dims_product(const Shape& shape, size_t begin, size_t end) {
    int64_t n = 1;
    for (size_t i = begin; i < end && i < shape.size(); ++i) n *= shape[i];
    return n;
}

AxisSplit split_at_axis(const Shape& shape, int64_t axis) {
    const size_t a = static_cast<size_t>(axis);
    return AxisSplit{dims_product(shape, 0, a), shape[a], dims_product(shape, a + 1, shape.size())};
}

AxesParam AxesParam::read(const BuildContext& ctx, const std::string& param) {
    AxesParam p;
    p.present = ctx.has_input(param);
    if (p.present) p.raw = ctx.const_ints(param);
    return p;
}

}  // namespace opencoreml::mil
