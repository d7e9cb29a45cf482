// opencoreml runtime: dense tensors — an element type, a shape and contiguous row-major
// storage that is either owned or borrowed (numpy memory, a memory-mapped weight file)
// with a keep-alive handle. Copying a Tensor shares its storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "opencoreml/error.hpp"

namespace opencoreml {

enum class DType : uint8_t {
    Bool,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float16,   // stored as IEEE binary16 bit patterns (uint16_t)
    BFloat16,  // stored as the upper 16 bits of a float32
    Float32,
    Float64,
};

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // "float32", "int64", ...
bool is_floating(DType dtype);
bool is_integer(DType dtype);         // signed or unsigned integers, not bool

using Shape = std::vector<int64_t>;
int64_t shape_numel(const Shape& shape);
std::string shape_to_string(const Shape& shape);  // "(1, 3, 32, 32)"

// Maps C++ element types to DType, for typed access (`data<float>()`).
template <typename T>
struct DTypeOf;
template <> struct DTypeOf<bool> { static constexpr DType value = DType::Bool; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::Int8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::Int16; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::UInt16; };  // also fp16/bf16 bits
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::UInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::UInt64; };
template <> struct DTypeOf<float> { static constexpr DType value = DType::Float32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::Float64; };

class Tensor {
public:
    Tensor() = default;

    // Owned, uninitialised storage (64-byte aligned).
    static Tensor empty(DType dtype, Shape shape);
    static Tensor zeros(DType dtype, Shape shape);
    // Borrowed storage: `owner` keeps `data` alive for as long as any copy of the tensor lives.
    static Tensor wrap(DType dtype, Shape shape, void* data, std::shared_ptr<const void> owner);
    // A rank-0 tensor holding one value.
    template <typename T>
    static Tensor scalar(T value) {
        Tensor t = empty(DTypeOf<T>::value, {});
        *t.data<T>() = value;
        return t;
    }

    bool defined() const { return data_ != nullptr || numel() == 0; }
    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
    int64_t dim(int64_t axis) const;  // negative axes count from the end
    int64_t numel() const { return shape_numel(shape_); }
    size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

    void* raw() { return data_; }
    const void* raw() const { return data_; }
    // Typed access; T must match the dtype (uint16_t serves Float16/BFloat16/UInt16).
    template <typename T>
    T* data() {
        check_type(DTypeOf<T>::value);
        return static_cast<T*>(data_);
    }
    template <typename T>
    const T* data() const {
        check_type(DTypeOf<T>::value);
        return static_cast<const T*>(data_);
    }

    // Same storage, another shape with the same element count.
    Tensor reshaped(Shape shape) const;
    // A deep copy with owned storage.
    Tensor clone() const;
    // A copy converted to `dtype` (numeric conversion; fp16/bf16 round to nearest even).
    Tensor to(DType dtype) const;
    // True when the storage is owned by this tensor family (not borrowed).
    const std::shared_ptr<const void>& owner() const { return owner_; }

private:
    void check_type(DType requested) const;

    DType dtype_ = DType::Float32;
    Shape shape_;
    void* data_ = nullptr;
    std::shared_ptr<const void> owner_;
};

}  // namespace opencoreml
