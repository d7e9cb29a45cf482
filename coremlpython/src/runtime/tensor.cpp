// opencoreml runtime: Tensor storage, dtype tables and element-type conversion.
#include "opencoreml/tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "opencoreml/blob_codec.hpp"

namespace opencoreml {

namespace {

struct AlignedFree {
    void operator()(void* p) const { std::free(p); }
};

std::shared_ptr<void> aligned_storage(size_t bytes) {
    const size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!p) throw Error(ErrorCode::InvalidArgument, "out of memory allocating a tensor of " + std::to_string(bytes) + " bytes");
    return std::shared_ptr<void>(p, AlignedFree());
}

// Reads element i of any dtype as double (fp16/bf16 decoded), for conversions.
double load_as_double(DType t, const void* p, int64_t i) {
    switch (t) {
        case DType::Bool: return static_cast<const bool*>(p)[i] ? 1.0 : 0.0;
        case DType::Int8: return static_cast<const int8_t*>(p)[i];
        case DType::UInt8: return static_cast<const uint8_t*>(p)[i];
        case DType::Int16: return static_cast<const int16_t*>(p)[i];
        case DType::UInt16: return static_cast<const uint16_t*>(p)[i];
        case DType::Int32: return static_cast<const int32_t*>(p)[i];
        case DType::UInt32: return static_cast<const uint32_t*>(p)[i];
        case DType::Int64: return static_cast<double>(static_cast<const int64_t*>(p)[i]);
        case DType::UInt64: return static_cast<double>(static_cast<const uint64_t*>(p)[i]);
        case DType::Float16: return blob::fp16_to_fp32(static_cast<const uint16_t*>(p)[i]);
        case DType::BFloat16: return blob::bf16_to_fp32(static_cast<const uint16_t*>(p)[i]);
        case DType::Float32: return static_cast<const float*>(p)[i];
        case DType::Float64: return static_cast<const double*>(p)[i];
    }
    return 0.0;
}

template <typename From, typename To>
void convert_loop(const void* src, void* dst, int64_t n) {
    const From* s = static_cast<const From*>(src);
    To* d = static_cast<To*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = static_cast<To>(s[i]);
}

}  // namespace

size_t dtype_size(DType t) {
    switch (t) {
        case DType::Bool: case DType::Int8: case DType::UInt8: return 1;
        case DType::Int16: case DType::UInt16: case DType::Float16: case DType::BFloat16: return 2;
        case DType::Int32: case DType::UInt32: case DType::Float32: return 4;
        case DType::Int64: case DType::UInt64: case DType::Float64: return 8;
    }
    return 1;
}

const char* dtype_name(DType t) {
    switch (t) {
        case DType::Bool: return "bool";
        case DType::Int8: return "int8";
        case DType::UInt8: return "uint8";
        case DType::Int16: return "int16";
        case DType::UInt16: return "uint16";
        case DType::Int32: return "int32";
        case DType::UInt32: return "uint32";
        case DType::Int64: return "int64";
        case DType::UInt64: return "uint64";
        case DType::Float16: return "float16";
        case DType::BFloat16: return "bfloat16";
        case DType::Float32: return "float32";
        case DType::Float64: return "float64";
    }
    return "?";
}

bool is_floating(DType t) {
    return t == DType::Float16 || t == DType::BFloat16 || t == DType::Float32 || t == DType::Float64;
}

bool is_integer(DType t) { return !is_floating(t) && t != DType::Bool; }

int64_t shape_numel(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::string shape_to_string(const Shape& shape) {
    std::ostringstream s;
    s << "(";
    for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
    if (shape.size() == 1) s << ",";
    s << ")";
    return s.str();
}

Tensor Tensor::empty(DType dtype, Shape shape) {
    for (int64_t d : shape)
        if (d < 0) throw Error(ErrorCode::InvalidArgument, "negative dimension in tensor shape " + shape_to_string(shape));
    Tensor t;
    t.dtype_ = dtype;
    t.shape_ = std::move(shape);
    auto storage = aligned_storage(t.nbytes());
    t.data_ = storage.get();
    t.owner_ = std::move(storage);
    return t;
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
    Tensor t = empty(dtype, std::move(shape));
    std::memset(t.data_, 0, t.nbytes());
    return t;
}

Tensor Tensor::wrap(DType dtype, Shape shape, void* data, std::shared_ptr<const void> owner) {
    Tensor t;
    t.dtype_ = dtype;
    t.shape_ = std::move(shape);
    t.data_ = data;
    t.owner_ = std::move(owner);
    return t;
}

int64_t Tensor::dim(int64_t axis) const {
    const int64_t r = rank();
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r)
        throw Error(ErrorCode::InvalidArgument, "axis " + std::to_string(axis) + " out of range for a rank-" + std::to_string(r) + " tensor");
    return shape_[static_cast<size_t>(axis)];
}

Tensor Tensor::reshaped(Shape shape) const {
    if (shape_numel(shape) != numel())
        throw Error(ErrorCode::InvalidArgument, "cannot reshape a tensor of shape " + shape_to_string(shape_) + " to " + shape_to_string(shape));
    Tensor t = *this;
    t.shape_ = std::move(shape);
    return t;
}

Tensor Tensor::clone() const {
    Tensor t = empty(dtype_, shape_);
    if (nbytes()) std::memcpy(t.data_, data_, nbytes());
    return t;
}

void Tensor::check_type(DType requested) const {
    if (requested == dtype_) return;
    const bool half_bits = requested == DType::UInt16 && (dtype_ == DType::Float16 || dtype_ == DType::BFloat16);
    if (!half_bits)
        throw Error(ErrorCode::InvalidArgument, std::string("tensor holds ") + dtype_name(dtype_) + ", accessed as " + dtype_name(requested));
}

Tensor Tensor::to(DType dtype) const {
    if (dtype == dtype_) return *this;
    Tensor out = empty(dtype, shape_);
    const int64_t n = numel();
    // Fast paths for the conversions models actually hit.
    if (dtype_ == DType::Float64 && dtype == DType::Float32) { convert_loop<double, float>(data_, out.data_, n); return out; }
    if (dtype_ == DType::Float32 && dtype == DType::Float64) { convert_loop<float, double>(data_, out.data_, n); return out; }
    if (dtype_ == DType::Int32 && dtype == DType::Float32) { convert_loop<int32_t, float>(data_, out.data_, n); return out; }
    if (dtype_ == DType::Float16 && dtype == DType::Float32) {
        blob::fp16_to_fp32(static_cast<const uint16_t*>(data_), static_cast<float*>(out.data_), static_cast<size_t>(n));
        return out;
    }
    if (dtype_ == DType::Float32 && dtype == DType::Float16) {
        blob::fp32_to_fp16(static_cast<const float*>(data_), static_cast<uint16_t*>(out.data_), static_cast<size_t>(n));
        return out;
    }
    for (int64_t i = 0; i < n; ++i) {
        const double v = load_as_double(dtype_, data_, i);
        switch (dtype) {
            case DType::Bool: static_cast<bool*>(out.data_)[i] = v != 0.0; break;
            case DType::Int8: static_cast<int8_t*>(out.data_)[i] = static_cast<int8_t>(v); break;
            case DType::UInt8: static_cast<uint8_t*>(out.data_)[i] = static_cast<uint8_t>(v); break;
            case DType::Int16: static_cast<int16_t*>(out.data_)[i] = static_cast<int16_t>(v); break;
            case DType::UInt16: static_cast<uint16_t*>(out.data_)[i] = static_cast<uint16_t>(v); break;
            case DType::Int32: static_cast<int32_t*>(out.data_)[i] = static_cast<int32_t>(v); break;
            case DType::UInt32: static_cast<uint32_t*>(out.data_)[i] = static_cast<uint32_t>(v); break;
            case DType::Int64:
                static_cast<int64_t*>(out.data_)[i] = dtype_ == DType::UInt64 ? static_cast<int64_t>(static_cast<const uint64_t*>(data_)[i])
                                                                               : static_cast<int64_t>(v);
                break;
            case DType::UInt64: static_cast<uint64_t*>(out.data_)[i] = static_cast<uint64_t>(v); break;
            // Straight from the double: through float32 to nearest, a value could round twice.
            case DType::Float16: static_cast<uint16_t*>(out.data_)[i] = blob::fp64_to_fp16(v); break;
            case DType::BFloat16: static_cast<uint16_t*>(out.data_)[i] = blob::fp64_to_bf16(v); break;
            case DType::Float32: static_cast<float*>(out.data_)[i] = static_cast<float>(v); break;
            case DType::Float64: static_cast<double*>(out.data_)[i] = v; break;
        }
    }
    return out;
}

}  // namespace opencoreml
