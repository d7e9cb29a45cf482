// opencoreml bindings: each binding file registers a function that adds its classes to the
// `_core` module, so adding bindings never touches a central list. Lower `order` runs first
// (exception types at 0, value types at 10, everything else at 20 and up).
#pragma once

#include <pybind11/pybind11.h>

#include <functional>
#include <vector>

namespace opencoreml::bindings {

using Binder = std::function<void(pybind11::module_&)>;

struct BinderEntry {
    int order;
    const char* name;
    Binder bind;
};

inline std::vector<BinderEntry>& binders() {
    static std::vector<BinderEntry> entries;
    return entries;
}

struct RegisterBinder {
    RegisterBinder(int order, const char* name, Binder bind) { binders().push_back({order, name, std::move(bind)}); }
};

}  // namespace opencoreml::bindings

#define OCML_BINDING_CONCAT2(a, b) a##b
#define OCML_BINDING_CONCAT(a, b) OCML_BINDING_CONCAT2(a, b)
// Usage: OCML_REGISTER_BINDING(20, model_file) { m.def(...); }
#define OCML_REGISTER_BINDING(order, name)                                                   \
    static void OCML_BINDING_CONCAT(ocml_bind_, name)(pybind11::module_ & m);                 \
    static ::opencoreml::bindings::RegisterBinder OCML_BINDING_CONCAT(ocml_reg_, name)(      \
        order, #name, &OCML_BINDING_CONCAT(ocml_bind_, name));                                \
    static void OCML_BINDING_CONCAT(ocml_bind_, name)(pybind11::module_ & m)
