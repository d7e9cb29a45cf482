// opencoreml bindings: maps opencoreml::Error codes onto the Python exception classes
// defined in opencoreml/_errors.py (looked up at import, so Python owns the hierarchy).
#include <pybind11/pybind11.h>

#include "bindings/registry.hpp"
#include "opencoreml/error.hpp"

namespace py = pybind11;

namespace {

const char* python_class_for(opencoreml::ErrorCode code) {
    using opencoreml::ErrorCode;
    switch (code) {
        case ErrorCode::InvalidArgument: return "InvalidArgumentError";
        case ErrorCode::NotFound: return "ModelNotFoundError";
        case ErrorCode::InvalidModel: return "InvalidModelError";
        case ErrorCode::UnsupportedVersion: return "UnsupportedSpecificationVersionError";
        case ErrorCode::BlobStorage: return "BlobStorageError";
        case ErrorCode::Io: return "ModelIOError";
        case ErrorCode::NotImplemented: return "NotImplementedError";
    }
    return "InvalidModelError";
}

}  // namespace

OCML_REGISTER_BINDING(0, errors) {
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const opencoreml::Error& e) {
            py::object cls;
            if (e.code() == opencoreml::ErrorCode::NotImplemented) {
                cls = py::reinterpret_borrow<py::object>(PyExc_NotImplementedError);
            } else {
                cls = py::module_::import("opencoreml._errors").attr(python_class_for(e.code()));
            }
            PyErr_SetString(cls.ptr(), e.what());
        }
    });
}
