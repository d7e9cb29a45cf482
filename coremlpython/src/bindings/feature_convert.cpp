// opencoreml bindings: Python <-> FeatureValue conversion (Core ML's conventions: Python
// int -> int64, float -> double, dict -> dictionary with double values, numpy -> multi-array;
// outputs: fp16 arrays come back as float32, dictionaries with float values).
#include "bindings/feature_convert.hpp"

#include <pybind11/stl.h>

#include "opencoreml/error.hpp"

namespace py = pybind11;

namespace opencoreml::bindings {

namespace {

[[noreturn]] void bad(const std::string& name, const std::string& problem) {
    throw Error(ErrorCode::InvalidArgument, "input feature '" + name + "': " + problem);
}

DType dtype_from_numpy(const std::string& name, const py::dtype& dt) {
    const char kind = dt.kind();
    const auto size = dt.itemsize();
    if (kind == 'f' && size == 4) return DType::Float32;
    if (kind == 'f' && size == 8) return DType::Float64;
    if (kind == 'f' && size == 2) return DType::Float16;
    if (kind == 'b') return DType::Bool;
    if (kind == 'i') return size == 1 ? DType::Int8 : size == 2 ? DType::Int16 : size == 4 ? DType::Int32 : DType::Int64;
    if (kind == 'u') return size == 1 ? DType::UInt8 : size == 2 ? DType::UInt16 : size == 4 ? DType::UInt32 : DType::UInt64;
    bad(name, "numpy arrays of dtype " + std::string(py::str(dt)) + " cannot be model inputs");
}

const char* numpy_format(DType t) {
    switch (t) {
        case DType::Bool: return "?";
        case DType::Int8: return "b";
        case DType::UInt8: return "B";
        case DType::Int16: return "h";
        case DType::UInt16: return "H";
        case DType::Int32: return "i";
        case DType::UInt32: return "I";
        case DType::Int64: return "q";
        case DType::UInt64: return "Q";
        case DType::Float32: return "f";
        case DType::Float64: return "d";
        default: return "f";
    }
}

// Keeps a Python object alive from C++ without needing the GIL while it is alive; the last
// owner re-acquires the GIL to release it.
std::shared_ptr<const void> keep_alive(py::object obj) {
    auto* holder = new py::object(std::move(obj));
    return std::shared_ptr<const void>(holder, [](const void* p) {
        py::gil_scoped_acquire gil;
        delete static_cast<const py::object*>(p);
    });
}

// numpy's scalar base classes, looked up once (deliberately never released).
py::handle numpy_scalar_type(const char* name) {
    return py::object(py::module_::import("numpy").attr(name)).release();
}

bool is_int(py::handle v) {
    static py::handle np_integer = numpy_scalar_type("integer");
    return py::isinstance<py::int_>(v) || py::isinstance(v, np_integer);
}
bool is_float(py::handle v) {
    static py::handle np_floating = numpy_scalar_type("floating");
    return py::isinstance<py::float_>(v) || py::isinstance(v, np_floating);
}

}  // namespace

Tensor numpy_to_tensor(const std::string& name, py::handle value) {
    py::array arr = py::array::ensure(value, py::array::c_style);
    if (!arr) bad(name, "cannot be converted to an array");
    const DType dtype = dtype_from_numpy(name, arr.dtype());
    Shape shape(arr.shape(), arr.shape() + arr.ndim());
    void* data = const_cast<void*>(arr.data());
    return Tensor::wrap(dtype, std::move(shape), data, keep_alive(arr));
}

FeatureValue to_feature_value(const std::string& name, py::handle value) {
    if (value.is_none()) return std::monostate{};
    if (py::isinstance<ImageData>(value)) {
        py::array pixels = value.cast<ImageData&>().pixels;
        Tensor t = numpy_to_tensor(name, pixels);
        if (t.rank() == 2 && t.dtype() == DType::UInt8) t = t.reshaped({t.dim(0), t.dim(1), 1});
        return ImageValue{t};
    }
    if (py::isinstance<py::bool_>(value)) return static_cast<int64_t>(value.cast<bool>());
    if (py::isinstance<py::str>(value)) return value.cast<std::string>();
    if (py::isinstance<py::bytes>(value)) return std::string(value.cast<py::bytes>());
    if (py::isinstance<py::array>(value)) return numpy_to_tensor(name, value);
    if (is_int(value)) return value.cast<int64_t>();
    if (is_float(value)) return value.cast<double>();
    if (py::isinstance<py::dict>(value)) {
        auto dict = value.cast<py::dict>();
        if (dict.size() == 0) return StringDictionary{};
        const bool int_keys = is_int(dict.begin()->first);
        StringDictionary strings;
        Int64Dictionary ints;
        for (auto item : dict) {
            if (!is_int(item.second) && !is_float(item.second))
                bad(name, "dictionary values must be numbers, got " + std::string(py::str(py::type::of(item.second).attr("__name__"))));
            const double v = item.second.cast<double>();
            if (int_keys) {
                if (!is_int(item.first)) bad(name, "dictionary keys must all be integers or all be strings");
                ints[item.first.cast<int64_t>()] = v;
            } else {
                if (!py::isinstance<py::str>(item.first)) bad(name, "dictionary keys must all be integers or all be strings");
                strings[item.first.cast<std::string>()] = v;
            }
        }
        if (int_keys) return ints;
        return strings;
    }
    if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
        auto seq = py::reinterpret_borrow<py::sequence>(value);
        if (seq.size() == 0) return StringSequence{};
        if (py::isinstance<py::str>(seq[0])) {
            StringSequence out;
            for (auto item : seq) {
                if (!py::isinstance<py::str>(item)) bad(name, "a sequence must hold only strings or only integers");
                out.push_back(item.cast<std::string>());
            }
            return out;
        }
        if (is_int(seq[0])) {
            Int64Sequence out;
            for (auto item : seq) {
                if (!is_int(item)) bad(name, "a sequence must hold only strings or only integers");
                out.push_back(item.cast<int64_t>());
            }
            return out;
        }
        return numpy_to_tensor(name, value);
    }
    if (py::hasattr(value, "__array__")) return numpy_to_tensor(name, value);
    bad(name, "values of type " + std::string(py::str(py::type::of(value).attr("__name__"))) + " cannot be model inputs");
}

FeatureMap to_feature_map(const py::dict& data) {
    FeatureMap out;
    for (auto item : data) {
        if (!py::isinstance<py::str>(item.first)) throw Error(ErrorCode::InvalidArgument, "feature names must be strings");
        const std::string name = item.first.cast<std::string>();
        out.emplace(name, to_feature_value(name, item.second));
    }
    return out;
}

py::array tensor_to_numpy(const Tensor& tensor) {
    // Core ML hands float16 (and we bfloat16) arrays to Python as float32.
    const Tensor t = (tensor.dtype() == DType::Float16 || tensor.dtype() == DType::BFloat16) ? tensor.to(DType::Float32) : tensor;
    std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
    std::vector<py::ssize_t> strides(shape.size());
    py::ssize_t stride = static_cast<py::ssize_t>(dtype_size(t.dtype()));
    for (size_t i = shape.size(); i-- > 0;) {
        strides[i] = stride;
        stride *= shape[i];
    }
    auto* keeper = new Tensor(t);
    py::capsule owner(keeper, [](void* p) { delete static_cast<Tensor*>(p); });
    return py::array(py::dtype(numpy_format(t.dtype())), shape, strides, t.raw(), owner);
}

py::object to_python(const FeatureValue& value) {
    struct Visitor {
        py::object operator()(std::monostate) const { return py::none(); }
        py::object operator()(int64_t v) const { return py::int_(v); }
        py::object operator()(double v) const { return py::float_(v); }
        py::object operator()(const std::string& v) const { return py::str(v); }
        py::object operator()(const Tensor& t) const { return tensor_to_numpy(t); }
        py::object operator()(const StringDictionary& d) const { return py::cast(d); }
        py::object operator()(const Int64Dictionary& d) const { return py::cast(d); }
        py::object operator()(const Int64Sequence& s) const { return py::cast(s); }
        py::object operator()(const StringSequence& s) const { return py::cast(s); }
        py::object operator()(const ImageValue& im) const { return py::cast(ImageData{tensor_to_numpy(im.pixels)}); }
    };
    return std::visit(Visitor{}, value);
}

py::dict to_python(const FeatureMap& features) {
    py::dict out;
    for (const auto& [name, value] : features) out[py::str(name)] = to_python(value);
    return out;
}

}  // namespace opencoreml::bindings
