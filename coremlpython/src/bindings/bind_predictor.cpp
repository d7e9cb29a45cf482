// opencoreml bindings: `_core.Predictor` (load once, predict from any thread with the GIL
// released), `_core.State` and `_core.ImageData`.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "Model.pb.h"
#include "bindings/feature_convert.hpp"
#include "bindings/registry.hpp"
#include "opencoreml/predictor.hpp"

namespace py = pybind11;
using opencoreml::bindings::ImageData;

namespace {

opencoreml::LoadOptions options(const std::string& function_name, int num_threads) {
    opencoreml::LoadOptions o;
    o.function_name = function_name;
    o.num_threads = num_threads;
    return o;
}

}  // namespace

OCML_REGISTER_BINDING(30, predictor) {
    py::class_<ImageData>(m, "ImageData", "Pixels of an image feature: uint8 (H, W, C) or float32 (H, W).")
        .def(py::init([](py::array pixels) { return ImageData{std::move(pixels)}; }), py::arg("pixels"))
        .def_readonly("pixels", &ImageData::pixels);

    py::class_<opencoreml::State, std::shared_ptr<opencoreml::State>>(m, "State", "State of a stateful model (MLState).")
        .def("names", &opencoreml::State::names)
        .def("read_state",
             [](const opencoreml::State& s, const std::string& name) {
                 return opencoreml::bindings::tensor_to_numpy(s.read(name).clone());
             },
             py::arg("name"))
        .def("write_state",
             [](opencoreml::State& s, const std::string& name, py::handle value) {
                 s.write(name, opencoreml::bindings::numpy_to_tensor(name, value).clone());
             },
             py::arg("name"), py::arg("value"));

    m.def("supported_mil_ops", &opencoreml::supported_mil_ops,
          "The MIL op types this build runs in ML programs (sorted names, all opsets).");
    m.def("is_model_kind_supported", [](int type_case) { return opencoreml::is_model_kind_supported(type_case); },
          py::arg("type_case"), "True when this build can run models whose Model.Type field number is type_case.");

    py::class_<opencoreml::Predictor, std::shared_ptr<opencoreml::Predictor>>(m, "Predictor",
                                                                               "A loaded, planned, runnable model.")
        .def_static(
            "load",
            [](const std::string& path, const std::string& function_name, int num_threads) {
                py::gil_scoped_release release;
                return opencoreml::load_predictor(opencoreml::load_model_file(path), options(function_name, num_threads));
            },
            py::arg("path"), py::arg("function_name") = "", py::arg("num_threads") = 0)
        .def_static(
            "from_spec",
            [](const py::bytes& data, const std::string& model_dir, const std::string& function_name, int num_threads) {
                std::string bytes = data;
                py::gil_scoped_release release;
                auto spec = opencoreml::parse_spec(bytes, "model spec");
                opencoreml::validate_spec(*spec, "model spec", model_dir);
                auto predictor = opencoreml::make_predictor(
                    opencoreml::LoadContext{*spec, model_dir, options(function_name, num_threads), "model spec"});
                // The predictor may refer to the spec: keep it alive alongside.
                return std::shared_ptr<opencoreml::Predictor>(predictor.get(), [predictor, spec](opencoreml::Predictor*) {});
            },
            py::arg("spec"), py::arg("model_dir") = "", py::arg("function_name") = "", py::arg("num_threads") = 0)
        .def(
            "predict",
            [](const opencoreml::Predictor& p, const py::dict& data, opencoreml::State* state) {
                opencoreml::FeatureMap inputs = opencoreml::bindings::to_feature_map(data);
                opencoreml::FeatureMap outputs;
                {
                    py::gil_scoped_release release;
                    outputs = p.predict(std::move(inputs), state);
                }
                return opencoreml::bindings::to_python(outputs);
            },
            py::arg("data"), py::arg("state") = nullptr)
        .def(
            "predict_batch",
            [](const opencoreml::Predictor& p, const py::list& batch) {
                std::vector<opencoreml::FeatureMap> rows;
                rows.reserve(batch.size());
                for (auto item : batch) rows.push_back(opencoreml::bindings::to_feature_map(item.cast<py::dict>()));
                std::vector<opencoreml::FeatureMap> outputs;
                {
                    py::gil_scoped_release release;
                    outputs = p.predict_batch(std::move(rows));
                }
                py::list out;
                for (const auto& row : outputs) out.append(opencoreml::bindings::to_python(row));
                return out;
            },
            py::arg("batch"))
        .def_property_readonly("is_stateful", &opencoreml::Predictor::is_stateful)
        .def("make_state", [](const opencoreml::Predictor& p) {
            return std::shared_ptr<opencoreml::State>(p.make_state());
        });
}
