// opencoreml bindings: the `_core` module entry point; runs every registered binder in order.
#include <algorithm>

#include "bindings/registry.hpp"

PYBIND11_MODULE(_core, m) {
    m.doc() = "opencoreml native core (private; use the opencoreml package)";
    auto entries = opencoreml::bindings::binders();
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.order < b.order; });
    for (const auto& entry : entries) entry.bind(m);
}
