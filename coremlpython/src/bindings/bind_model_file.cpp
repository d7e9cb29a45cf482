// opencoreml bindings: model file loading/saving and the model summary, as bytes and dicts
// (Python parses the spec bytes into its own protobuf classes).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "Model.pb.h"
#include "bindings/registry.hpp"
#include "opencoreml/model_file.hpp"
#include "opencoreml/model_info.hpp"

namespace py = pybind11;

namespace {

py::dict summary_dict(const opencoreml::ModelSummary& s) {
    py::dict d;
    d["path"] = s.path;
    d["kind"] = s.kind;
    d["specification_version"] = s.specification_version;
    d["functions"] = s.functions;
    py::dict iface;
    for (const auto& [section, feats] : s.interface) {
        py::list l;
        for (const auto& f : feats) {
            py::dict fd;
            fd["name"] = f.name;
            fd["type"] = f.type;
            fd["description"] = f.description;
            fd["optional"] = f.optional;
            l.append(fd);
        }
        iface[py::str(section)] = l;
    }
    d["interface"] = iface;
    d["metadata"] = s.metadata;
    d["op_counts"] = s.op_counts;
    py::list weights;
    for (const auto& w : s.weights) {
        py::dict wd;
        wd["file"] = w.file;
        wd["offset"] = w.offset;
        wd["dtype"] = w.dtype;
        wd["size_in_bytes"] = w.size_in_bytes;
        wd["element_count"] = w.element_count;
        weights.append(wd);
    }
    d["weights"] = weights;
    d["weight_bytes"] = s.weight_bytes;
    return d;
}

}  // namespace

OCML_REGISTER_BINDING(20, model_file) {
    m.attr("MAXIMUM_SPECIFICATION_VERSION") = opencoreml::kMaximumSpecificationVersion;

    m.def(
        "load_model_file",
        [](const std::string& path) {
            opencoreml::ModelFile mf;
            std::string bytes;
            {
                py::gil_scoped_release release;
                mf = opencoreml::load_model_file(path);
                bytes = mf.spec->SerializeAsString();
            }
            py::dict d;
            d["path"] = mf.path;
            d["spec_path"] = mf.spec_path;
            d["is_package"] = mf.is_package;
            d["weights_dir"] = mf.weights_dir ? py::object(py::str(*mf.weights_dir)) : py::object(py::none());
            d["spec"] = py::bytes(bytes);
            return d;
        },
        py::arg("path"), "Read and validate a .mlmodel or .mlpackage; returns paths and the spec bytes.");

    m.def(
        "validate_spec",
        [](const py::bytes& data, const std::string& origin, const std::string& model_dir) {
            std::string bytes = data;
            py::gil_scoped_release release;
            auto spec = opencoreml::parse_spec(bytes, origin);
            opencoreml::validate_spec(*spec, origin, model_dir);
        },
        py::arg("spec"), py::arg("origin"), py::arg("model_dir") = "",
        "Parse and validate spec bytes (weight references are resolved against model_dir when given).");

    m.def(
        "save_model_file",
        [](const std::string& path, const py::bytes& data, const std::string& weights_dir,
           const std::string& source_package) {
            std::string bytes = data;
            py::gil_scoped_release release;
            opencoreml::save_model_file(path, bytes, weights_dir, source_package);
        },
        py::arg("path"), py::arg("spec"), py::arg("weights_dir") = "", py::arg("source_package") = "",
        "Atomically write spec bytes as a .mlmodel file or an .mlpackage.");

    m.def(
        "summarize",
        [](const std::string& path) {
            opencoreml::ModelSummary s;
            std::string text;
            {
                py::gil_scoped_release release;
                s = opencoreml::summarize(opencoreml::load_model_file(path));
                text = opencoreml::to_text(s);
            }
            py::dict d = summary_dict(s);
            d["text"] = text;
            return d;
        },
        py::arg("path"), "Describe a model file: kind, interface, metadata, op/layer counts, weights.");

    m.def(
        "describe_spec",
        [](const py::bytes& data, const std::string& path) {
            std::string bytes = data;
            opencoreml::ModelFile mf;
            mf.path = path.empty() ? std::string("<in memory>") : path;
            mf.spec = opencoreml::parse_spec(bytes, "model spec");
            return opencoreml::to_text(opencoreml::summarize(mf));
        },
        py::arg("spec"), py::arg("path") = "", "Text description of spec bytes (no weight files are read).");
}
