// opencoreml ML programs: decoding MIL Values (immediate tensors/lists and blob weights).
#include "mil/value_decode.hpp"

#include <cstring>
#include <filesystem>

#include "mil/program.hpp"

namespace opencoreml::mil {

namespace milspec = CoreML::Specification::MILSpec;
namespace fs = std::filesystem;

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& problem) {
    throw Error(ErrorCode::InvalidModel, where + ": " + problem);
}

template <typename Src, typename Dst>
void copy_cast(const Src& values, Dst* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Dst>(values.Get(static_cast<int>(i)));
}

// Fills `t` from the repeated field that coremltools uses for its dtype (or any numeric one).
void fill_numeric(const milspec::TensorValue& v, Tensor& t, const std::string& where) {
    const int64_t n = t.numel();
    auto check = [&](int size) {
        if (size != n) bad(where, "constant has " + std::to_string(size) + " values for shape " + shape_to_string(t.shape()));
    };
    auto fill_from = [&](const auto& field) {
        check(field.size());
        switch (t.dtype()) {
            case DType::Float32: copy_cast(field, t.data<float>(), n); break;
            case DType::Float64: copy_cast(field, t.data<double>(), n); break;
            case DType::Int32: copy_cast(field, t.data<int32_t>(), n); break;
            case DType::Int64: copy_cast(field, t.data<int64_t>(), n); break;
            case DType::Int16: copy_cast(field, t.data<int16_t>(), n); break;
            case DType::UInt16: copy_cast(field, t.data<uint16_t>(), n); break;
            case DType::Int8: copy_cast(field, t.data<int8_t>(), n); break;
            case DType::UInt8: copy_cast(field, t.data<uint8_t>(), n); break;
            case DType::UInt32: copy_cast(field, t.data<uint32_t>(), n); break;
            case DType::UInt64: copy_cast(field, t.data<uint64_t>(), n); break;
            case DType::Bool: copy_cast(field, t.data<bool>(), n); break;
            case DType::Float16: {
                const Tensor f = Tensor::empty(DType::Float32, t.shape());
                copy_cast(field, const_cast<float*>(f.data<float>()), n);
                const Tensor h = f.to(DType::Float16);
                std::memcpy(t.raw(), h.raw(), t.nbytes());
                break;
            }
            default: bad(where, std::string("cannot hold a constant of ") + dtype_name(t.dtype()));
        }
    };
    switch (v.value_case()) {
        case milspec::TensorValue::kFloats: fill_from(v.floats().values()); break;
        case milspec::TensorValue::kDoubles: fill_from(v.doubles().values()); break;
        case milspec::TensorValue::kInts: fill_from(v.ints().values()); break;
        case milspec::TensorValue::kLongInts: fill_from(v.longints().values()); break;
        case milspec::TensorValue::kBools: fill_from(v.bools().values()); break;
        case milspec::TensorValue::kBytes: {
            const std::string& bytes = v.bytes().values();
            if (bytes.size() != t.nbytes())
                bad(where, "constant has " + std::to_string(bytes.size()) + " bytes, expected " + std::to_string(t.nbytes()));
            std::memcpy(t.raw(), bytes.data(), bytes.size());
            break;
        }
        default: bad(where, "constant tensor has no values");
    }
}

// Sub-byte tensors stored inline as bytes: unpack to one value per element.
bool subbyte_blob_type(milspec::DataType t, blob::BlobDataType& out) {
    switch (t) {
        case milspec::INT4: out = blob::BlobDataType::Int4; return true;
        case milspec::UINT1: out = blob::BlobDataType::UInt1; return true;
        case milspec::UINT2: out = blob::BlobDataType::UInt2; return true;
        case milspec::UINT3: out = blob::BlobDataType::UInt3; return true;
        case milspec::UINT4: out = blob::BlobDataType::UInt4; return true;
        case milspec::UINT6: out = blob::BlobDataType::UInt6; return true;
        default: return false;
    }
}

Tensor unpack_subbyte_tensor(blob::BlobDataType bt, const uint8_t* data, const Shape& shape) {
    const int64_t n = shape_numel(shape);
    if (bt == blob::BlobDataType::Int4) {
        Tensor t = Tensor::empty(DType::Int8, shape);
        blob::unpack_subbyte(bt, data, static_cast<size_t>(n), t.data<int8_t>());
        return t;
    }
    Tensor t = Tensor::empty(DType::UInt8, shape);
    blob::unpack_subbyte(bt, data, static_cast<size_t>(n), t.data<uint8_t>());
    return t;
}

DecodedValue decode_immediate_tensor(const milspec::TensorType& type, const milspec::TensorValue& v, const std::string& where) {
    DecodedValue out;
    const Shape shape = declared_shape(type);
    if (type.datatype() == milspec::STRING) {
        out.is_string = true;
        out.strings.assign(v.strings().values().begin(), v.strings().values().end());
        return out;
    }
    blob::BlobDataType sub;
    if (subbyte_blob_type(type.datatype(), sub)) {
        const std::string& bytes = v.bytes().values();
        if (bytes.size() < blob::packed_size_in_bytes(sub, static_cast<uint64_t>(shape_numel(shape))))
            bad(where, "packed constant is too short for shape " + shape_to_string(shape));
        out.tensor = unpack_subbyte_tensor(sub, reinterpret_cast<const uint8_t*>(bytes.data()), shape);
        return out;
    }
    out.tensor = Tensor::empty(dtype_from_mil(type.datatype(), where), shape);
    fill_numeric(v, out.tensor, where);
    return out;
}

DecodedValue decode_list(const milspec::ListValue& list, const std::string& where) {
    DecodedValue out;
    bool strings = !list.values().empty();
    for (const auto& item : list.values())
        strings = strings && item.type().tensortype().datatype() == milspec::STRING;
    if (strings) {
        out.is_string = true;
        for (const auto& item : list.values())
            for (const auto& s : item.immediatevalue().tensor().strings().values()) out.strings.push_back(s);
        return out;
    }
    // A list of numeric scalars (e.g. integer class labels) becomes a 1-D int64/float tensor.
    std::vector<double> values;
    bool all_int = true;
    for (const auto& item : list.values()) {
        WeightFiles none("");
        DecodedValue v = decode_value(item, none, where);
        if (v.is_string || v.tensor.numel() != 1) bad(where, "unsupported list constant");
        all_int = all_int && is_integer(v.tensor.dtype());
        values.push_back(v.tensor.to(DType::Float64).data<double>()[0]);
    }
    out.tensor = Tensor::empty(all_int ? DType::Int64 : DType::Float32, {static_cast<int64_t>(values.size())});
    for (size_t i = 0; i < values.size(); ++i) {
        if (all_int) out.tensor.data<int64_t>()[i] = static_cast<int64_t>(values[i]);
        else out.tensor.data<float>()[i] = static_cast<float>(values[i]);
    }
    return out;
}

DecodedValue decode_blob(const milspec::TensorType& type, const milspec::Value::BlobFileValue& ref, WeightFiles& weights,
                         const std::string& where) {
    auto reader = weights.open(ref.filename());
    const blob::BlobInfo info = reader->info(ref.offset());
    const Shape shape = declared_shape(type);
    const int64_t n = shape_numel(shape);
    if (static_cast<int64_t>(info.element_count) != n)
        bad(where, "weight blob at offset " + std::to_string(ref.offset()) + " in '" + reader->path() + "' holds " +
                       std::to_string(info.element_count) + " elements, the declared shape " + shape_to_string(shape) +
                       " needs " + std::to_string(n));
    const uint8_t* data = reader->data(info);
    DecodedValue out;
    auto view = [&](DType dt) {
        // Zero copy: the tensor points into the mapping and keeps it alive.
        out.tensor = Tensor::wrap(dt, shape, const_cast<uint8_t*>(data), reader->mapping());
    };
    switch (info.dtype) {
        case blob::BlobDataType::Float16: view(DType::Float16); break;
        case blob::BlobDataType::Float32: view(DType::Float32); break;
        case blob::BlobDataType::BFloat16: view(DType::BFloat16); break;
        case blob::BlobDataType::UInt8: view(DType::UInt8); break;
        case blob::BlobDataType::Int8: view(DType::Int8); break;
        case blob::BlobDataType::Int16: view(DType::Int16); break;
        case blob::BlobDataType::UInt16: view(DType::UInt16); break;
        case blob::BlobDataType::Int32: view(DType::Int32); break;
        case blob::BlobDataType::UInt32: view(DType::UInt32); break;
        case blob::BlobDataType::Float8E4M3FN:
        case blob::BlobDataType::Float8E5M2:
            out.tensor = Tensor::empty(DType::Float32, shape);
            blob::decode_to_float32(info.dtype, data, static_cast<size_t>(n), out.tensor.data<float>());
            break;
        default:
            out.tensor = unpack_subbyte_tensor(info.dtype, data, shape);
            break;
    }
    return out;
}

}  // namespace

std::shared_ptr<blob::BlobReader> WeightFiles::open(const std::string& file_name) {
    std::string path = file_name;
    const std::string prefix = "@model_path/";
    if (path.rfind(prefix, 0) == 0) path = (fs::path(model_dir_) / path.substr(prefix.size())).string();
    else if (fs::path(path).is_relative()) path = (fs::path(model_dir_) / path).string();
    auto& reader = readers_[path];
    if (!reader) reader = blob::BlobReader::open(path);
    return reader;
}

Shape declared_shape(const milspec::TensorType& t) {
    Shape shape;
    for (const auto& d : t.dimensions()) shape.push_back(d.has_constant() ? static_cast<int64_t>(d.constant().size()) : -1);
    return shape;
}

DecodedValue decode_value(const milspec::Value& value, WeightFiles& weights, const std::string& where) {
    const auto& type = value.type();
    if (value.has_blobfilevalue()) {
        if (!type.has_tensortype()) bad(where, "a weight-file value must be a tensor");
        return decode_blob(type.tensortype(), value.blobfilevalue(), weights, where);
    }
    if (!value.has_immediatevalue()) bad(where, "value has neither an immediate value nor a weight-file reference");
    const auto& imm = value.immediatevalue();
    if (imm.has_tensor()) {
        if (!type.has_tensortype()) bad(where, "tensor value without a tensor type");
        return decode_immediate_tensor(type.tensortype(), imm.tensor(), where);
    }
    if (imm.has_list()) return decode_list(imm.list(), where);
    bad(where, "unsupported constant (tuple or dictionary values are not supported)");
}

}  // namespace opencoreml::mil
