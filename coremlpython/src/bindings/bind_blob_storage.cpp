// opencoreml bindings: weight-file (blob storage) reader and writer plus the element codecs,
// for opencoreml/libmilstoragepython.py. Reads of byte-sized types are read-only numpy
// views into the memory mapping; the array's base capsule holds the mapping alive.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings/registry.hpp"
#include "opencoreml/blob_storage.hpp"
#include "opencoreml/error.hpp"

namespace py = pybind11;
using opencoreml::Error;
using opencoreml::ErrorCode;
using opencoreml::MappedFile;
using namespace opencoreml::blob;

namespace {

constexpr auto kInFlags = py::array::c_style | py::array::forcecast;

// numpy type of one stored element (bit patterns for the float formats numpy lacks, and
// one int8/uint8 per value for sub-byte types, as coremltools does).
py::dtype storage_numpy_dtype(BlobDataType d) {
    switch (d) {
        case BlobDataType::Float32: return py::dtype::of<float>();
        case BlobDataType::Float16:
        case BlobDataType::BFloat16:
        case BlobDataType::UInt16: return py::dtype::of<uint16_t>();
        case BlobDataType::Int16: return py::dtype::of<int16_t>();
        case BlobDataType::Int32: return py::dtype::of<int32_t>();
        case BlobDataType::UInt32: return py::dtype::of<uint32_t>();
        case BlobDataType::Int8:
        case BlobDataType::Int4: return py::dtype::of<int8_t>();
        default: return py::dtype::of<uint8_t>();
    }
}

py::tuple info_tuple(const BlobInfo& i) {
    return py::make_tuple(i.metadata_offset, dtype_name(i.dtype), i.size_in_bytes, i.data_offset, i.padding_bits,
                          i.element_count);
}

// A read-only array over the mapping; no copy is made.
py::array mapped_view(const BlobReader& r, const BlobInfo& info, const py::dtype& dt, size_t count) {
    auto* keep = new std::shared_ptr<const MappedFile>(r.mapping());
    py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<const MappedFile>*>(p); });
    py::array a(dt, py::array::ShapeContainer{static_cast<py::ssize_t>(count)}, py::array::StridesContainer{},
                r.data(info), base);
    a.attr("setflags")(py::arg("write") = false);
    return a;
}

py::array unpacked_copy(const BlobReader& r, const BlobInfo& info) {
    const size_t n = static_cast<size_t>(info.element_count);
    if (info.dtype == BlobDataType::Int4) {
        py::array_t<int8_t> out(static_cast<py::ssize_t>(n));
        unpack_subbyte(info.dtype, r.data(info), n, out.mutable_data());
        return std::move(out);
    }
    py::array_t<uint8_t> out(static_cast<py::ssize_t>(n));
    unpack_subbyte(info.dtype, r.data(info), n, out.mutable_data());
    return std::move(out);
}

// Stored elements as numpy sees them: a view for byte-sized types, unpacked values otherwise.
py::array read_stored(const BlobReader& r, const BlobInfo& info) {
    if (is_subbyte(info.dtype)) return unpacked_copy(r, info);
    return mapped_view(r, info, storage_numpy_dtype(info.dtype), static_cast<size_t>(info.element_count));
}

// The most natural numpy array: float16 as float16, bfloat16/float8 decoded to float32.
py::array read_natural(const BlobReader& r, const BlobInfo& info) {
    const size_t n = static_cast<size_t>(info.element_count);
    switch (info.dtype) {
        case BlobDataType::Float16: return mapped_view(r, info, py::dtype("float16"), n);
        case BlobDataType::BFloat16:
        case BlobDataType::Float8E4M3FN:
        case BlobDataType::Float8E5M2: {
            py::array_t<float> out(static_cast<py::ssize_t>(n));
            decode_to_float32(info.dtype, r.data(info), n, out.mutable_data());
            return std::move(out);
        }
        default: return read_stored(r, info);
    }
}

template <typename T>
py::array_t<T, kInFlags> as_input(const py::handle& obj, BlobDataType dtype) {
    auto a = py::array_t<T, kInFlags>::ensure(obj);
    if (!a) {
        PyErr_Clear();
        throw Error(ErrorCode::InvalidArgument,
                    std::string("cannot convert the data to a numpy array of ") + dtype_name(dtype) + " elements");
    }
    return a;
}

template <typename T>
uint64_t write_stored_as(BlobWriter& w, BlobDataType dtype, const py::handle& obj) {
    auto a = as_input<T>(obj, dtype);
    return w.write_elements(dtype, a.data(), static_cast<size_t>(a.size()));
}

// Writes one value per element (sub-byte types) or stored element encodings (others).
uint64_t write_stored(BlobWriter& w, BlobDataType dtype, const py::handle& obj) {
    if (is_subbyte(dtype)) {
        auto a = as_input<int64_t>(obj, dtype);
        return w.write_subbyte(dtype, a.data(), static_cast<size_t>(a.size()));
    }
    if (dtype == BlobDataType::Float16 && py::isinstance<py::array>(obj)) {
        // A float16 array already holds the stored encoding; forcecast would convert values.
        auto a = py::reinterpret_borrow<py::array>(obj);
        if (a.dtype().kind() == 'f' && a.itemsize() == 2)
            return write_stored_as<uint16_t>(w, dtype, a.attr("view")(py::dtype::of<uint16_t>()));
    }
    switch (dtype) {
        case BlobDataType::Float32: return write_stored_as<float>(w, dtype, obj);
        case BlobDataType::Float16:
        case BlobDataType::BFloat16:
        case BlobDataType::UInt16: return write_stored_as<uint16_t>(w, dtype, obj);
        case BlobDataType::Int16: return write_stored_as<int16_t>(w, dtype, obj);
        case BlobDataType::Int32: return write_stored_as<int32_t>(w, dtype, obj);
        case BlobDataType::UInt32: return write_stored_as<uint32_t>(w, dtype, obj);
        case BlobDataType::Int8: return write_stored_as<int8_t>(w, dtype, obj);
        default: return write_stored_as<uint8_t>(w, dtype, obj);
    }
}

py::array encode_float32(const py::handle& values, const std::string& dtype_str) {
    const BlobDataType dtype = parse_dtype_name(dtype_str);
    auto in = as_input<float>(values, BlobDataType::Float32);
    const size_t n = static_cast<size_t>(in.size());
    if (!(dtype == BlobDataType::Float32 || dtype == BlobDataType::Float16 || dtype == BlobDataType::BFloat16 ||
          dtype == BlobDataType::Float8E4M3FN || dtype == BlobDataType::Float8E5M2))
        throw Error(ErrorCode::InvalidArgument,
                    std::string("cannot encode float32 values as ") + dtype_name(dtype) +
                        " (not a floating-point type)");
    py::array out(storage_numpy_dtype(dtype), py::array::ShapeContainer{static_cast<py::ssize_t>(n)});
    encode_from_float32(dtype, in.data(), n, static_cast<uint8_t*>(out.mutable_data()));
    return out;
}

template <typename T>
py::array_t<float> decode_as(BlobDataType dtype, const py::handle& obj) {
    auto a = as_input<T>(obj, dtype);
    const size_t n = static_cast<size_t>(a.size());
    py::array_t<float> out(static_cast<py::ssize_t>(n));
    decode_to_float32(dtype, reinterpret_cast<const uint8_t*>(a.data()), n, out.mutable_data());
    return out;
}

py::array_t<float> decode_float32(const py::handle& stored, const std::string& dtype_str) {
    const BlobDataType dtype = parse_dtype_name(dtype_str);
    switch (dtype) {
        case BlobDataType::Float32: return decode_as<float>(dtype, stored);
        case BlobDataType::Float16:
        case BlobDataType::BFloat16:
        case BlobDataType::UInt16: return decode_as<uint16_t>(dtype, stored);
        case BlobDataType::Int16: return decode_as<int16_t>(dtype, stored);
        case BlobDataType::Int32: return decode_as<int32_t>(dtype, stored);
        case BlobDataType::UInt32: return decode_as<uint32_t>(dtype, stored);
        case BlobDataType::Int8: return decode_as<int8_t>(dtype, stored);
        case BlobDataType::UInt8:
        case BlobDataType::Float8E4M3FN:
        case BlobDataType::Float8E5M2: return decode_as<uint8_t>(dtype, stored);
        default:
            throw Error(ErrorCode::InvalidArgument, std::string("decode_to_float32: ") + dtype_name(dtype) +
                                                        " is a sub-byte type; unpack it instead");
    }
}

}  // namespace

OCML_REGISTER_BINDING(20, blob_storage) {
    py::class_<BlobReader, std::shared_ptr<BlobReader>>(m, "BlobStorageReader",
                                                        "Memory-mapped reader of a MIL weight file (weight.bin)")
        .def(py::init(&BlobReader::open), py::arg("file_name"))
        .def_property_readonly("path", &BlobReader::path)
        .def_property_readonly("count", &BlobReader::count)
        .def_property_readonly("file_size", &BlobReader::file_size)
        .def(
            "info", [](const BlobReader& r, uint64_t offset) { return info_tuple(r.info(offset)); },
            py::arg("offset"),
            "(offset, dtype, size_in_bytes, data_offset, padding_bits, element_count) of the blob at offset")
        .def(
            "blobs",
            [](const BlobReader& r) {
                py::list out;
                for (const auto& i : r.list()) out.append(info_tuple(i));
                return out;
            },
            "info tuples of every blob the header announces, in file order")
        .def(
            "read",
            [](const BlobReader& r, uint64_t offset, const std::string& dtype) {
                return read_stored(r, r.info(offset, parse_dtype_name(dtype)));
            },
            py::arg("offset"), py::arg("dtype"),
            "stored elements of a blob that must hold `dtype` (view for byte-sized types, unpacked values "
            "for sub-byte types)")
        .def(
            "read_data", [](const BlobReader& r, uint64_t offset) { return read_natural(r, r.info(offset)); },
            py::arg("offset"), "the blob as its natural numpy array, whatever its dtype")
        .def(
            "read_raw",
            [](const BlobReader& r, uint64_t offset) {
                const BlobInfo i = r.info(offset);
                return mapped_view(r, i, py::dtype::of<uint8_t>(), static_cast<size_t>(i.size_in_bytes));
            },
            py::arg("offset"), "the blob's stored bytes (packed for sub-byte types), as a read-only view");

    py::class_<BlobWriter>(m, "BlobStorageWriter", "Appends blobs to a MIL weight file (weight.bin)")
        .def(py::init<const std::string&, bool>(), py::arg("file_name"), py::arg("truncate_file") = true)
        .def_property_readonly("path", &BlobWriter::path)
        .def_property_readonly("count", &BlobWriter::count)
        .def(
            "write",
            [](BlobWriter& w, const std::string& dtype, const py::handle& data) {
                return write_stored(w, parse_dtype_name(dtype), data);
            },
            py::arg("dtype"), py::arg("data"),
            "append a blob; data holds one value per element for sub-byte types, stored encodings "
            "(e.g. float16 bit patterns as uint16) otherwise; returns the blob's offset")
        .def(
            "write_from_float32",
            [](BlobWriter& w, const std::string& dtype, const py::handle& data) {
                const BlobDataType d = parse_dtype_name(dtype);
                auto a = as_input<float>(data, d);
                return w.write_from_float32(d, a.data(), static_cast<size_t>(a.size()));
            },
            py::arg("dtype"), py::arg("data"), "append float32 values encoded (rounded) as a floating dtype")
        .def(
            "write_raw",
            [](BlobWriter& w, const std::string& dtype, const py::handle& data, uint64_t padding_bits) {
                const BlobDataType d = parse_dtype_name(dtype);
                auto a = as_input<uint8_t>(data, d);
                return w.write(d, a.data(), static_cast<size_t>(a.size()), padding_bits);
            },
            py::arg("dtype"), py::arg("data"), py::arg("padding_bits") = 0,
            "append already encoded/packed bytes");

    m.def("blob_encode_float32", &encode_float32, py::arg("values"), py::arg("dtype"),
          "float32 values -> stored encoding of a floating blob dtype (round to nearest even)");
    m.def("blob_decode_to_float32", &decode_float32, py::arg("stored"), py::arg("dtype"),
          "stored elements of a byte-sized blob dtype -> float32");
    m.def("blob_fp16_conversion_path", &fp16_conversion_path,
          "routine used for float16 <-> float32 arrays on this CPU: 'f16c', 'neon' or 'scalar'");
    m.def(
        "blob_pack_subbyte",
        [](const py::handle& values, const std::string& dtype) {
            const BlobDataType d = parse_dtype_name(dtype);
            auto a = as_input<int64_t>(values, d);
            const size_t n = static_cast<size_t>(a.size());
            py::array_t<uint8_t> out(static_cast<py::ssize_t>(packed_size_in_bytes(d, n)));
            pack_subbyte(d, a.data(), n, out.mutable_data());
            return py::make_tuple(out, padding_bits_for(d, n));
        },
        py::arg("values"), py::arg("dtype"), "-> (packed uint8 array, padding bits)");
    m.def(
        "blob_unpack_subbyte",
        [](const py::handle& packed, const std::string& dtype, size_t count) {
            const BlobDataType d = parse_dtype_name(dtype);
            if (!is_subbyte(d))
                throw Error(ErrorCode::InvalidArgument, std::string(dtype_name(d)) + " is not a sub-byte type");
            auto a = as_input<uint8_t>(packed, d);
            if (static_cast<uint64_t>(a.size()) < packed_size_in_bytes(d, count))
                throw Error(ErrorCode::InvalidArgument, std::to_string(count) + " " + dtype_name(d) + " values need " +
                                                            std::to_string(packed_size_in_bytes(d, count)) +
                                                            " packed bytes, got " + std::to_string(a.size()));
            py::array out(storage_numpy_dtype(d), py::array::ShapeContainer{static_cast<py::ssize_t>(count)});
            if (d == BlobDataType::Int4) unpack_subbyte(d, a.data(), count, static_cast<int8_t*>(out.mutable_data()));
            else unpack_subbyte(d, a.data(), count, static_cast<uint8_t*>(out.mutable_data()));
            return out;
        },
        py::arg("packed"), py::arg("dtype"), py::arg("count"), "packed bytes -> one int8/uint8 per value");
}
