// opencoreml runtime: a loaded, runnable model. `load_predictor` plans a model once; a
// Predictor is then immutable and `predict` may be called from many threads at once.
// Each model kind (mlProgram, neuralNetwork, treeEnsembleClassifier, pipeline, ...) provides
// a factory registered under its Model.Type oneof field number.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "opencoreml/feature_value.hpp"
#include "opencoreml/model_file.hpp"

namespace CoreML::Specification {
class FeatureDescription;
class ModelDescription;
}  // namespace CoreML::Specification

namespace opencoreml {

struct LoadOptions {
    std::string function_name;  // multifunction programs; empty = the spec's default
    int num_threads = 0;        // intra-op threads; 0 = all cores
};

// Mutable state of a stateful model (MLState): named tensors that persist across predicts.
class State {
public:
    virtual ~State() = default;
    virtual std::vector<std::string> names() const = 0;
    virtual Tensor read(const std::string& name) const = 0;
    virtual void write(const std::string& name, const Tensor& value) = 0;
};

// The declared inputs and outputs of a model (or of one function of it), used to check and
// convert what callers pass before a model runs.
class ModelInterface {
public:
    ModelInterface() = default;
    ModelInterface(std::vector<CoreML::Specification::FeatureDescription> inputs,
                   std::vector<CoreML::Specification::FeatureDescription> outputs,
                   std::vector<CoreML::Specification::FeatureDescription> states, std::string origin);
    // Interface of a model's description, or of function `function_name` when the
    // description lists functions.
    static ModelInterface from_description(const CoreML::Specification::ModelDescription& description,
                                           const std::string& function_name, const std::string& origin);

    const std::vector<CoreML::Specification::FeatureDescription>& inputs() const;
    const std::vector<CoreML::Specification::FeatureDescription>& outputs() const;
    const std::vector<CoreML::Specification::FeatureDescription>& states() const;
    const CoreML::Specification::FeatureDescription* find_input(const std::string& name) const;
    const CoreML::Specification::FeatureDescription* find_output(const std::string& name) const;

    // Checks every input against its declaration — presence, kind, dtype, shape (fixed,
    // enumerated or ranged), dictionary key type, image size — and converts where Core ML
    // does (numbers between int64/double, multi-array element types). Throws
    // Error(InvalidArgument) naming the feature and what was expected.
    void check_inputs(FeatureMap& inputs) const;

private:
    struct Impl;
    std::shared_ptr<const Impl> impl_;
};

class Predictor {
public:
    virtual ~Predictor() = default;

    const ModelInterface& interface() const { return interface_; }

    // Validates `inputs` against the interface, then runs the model.
    FeatureMap predict(FeatureMap inputs, State* state = nullptr) const;
    // A batch in one call (models may vectorise across rows).
    std::vector<FeatureMap> predict_batch(std::vector<FeatureMap> batch) const;

    virtual bool is_stateful() const { return false; }
    virtual std::unique_ptr<State> make_state() const;

    // Runs without checking inputs: for callers that already checked them (pipelines).
    virtual FeatureMap run(const FeatureMap& inputs, State* state) const = 0;
    virtual std::vector<FeatureMap> run_batch(const std::vector<FeatureMap>& batch) const;

protected:
    explicit Predictor(ModelInterface interface) : interface_(std::move(interface)) {}

private:
    ModelInterface interface_;
};

// Everything a model-kind factory needs to build its Predictor.
struct LoadContext {
    const CoreML::Specification::Model& spec;
    std::string model_dir;   // folder `@model_path` stands for (empty for in-memory specs)
    LoadOptions options;
    std::string origin;      // "model '/path/x.mlpackage'" or "pipeline model 2 of ..."
};

using PredictorFactory = std::function<std::unique_ptr<Predictor>(const LoadContext&)>;

// Registers the factory for one Model.Type case (its field number, e.g. 502 for mlProgram).
void register_model_kind(int type_case, const char* kind_name, PredictorFactory factory);
bool is_model_kind_supported(int type_case);

// The MIL op types (names, sorted) this build can run in ML programs, every opset together.
std::vector<std::string> supported_mil_ops();

// Builds a Predictor for a spec; throws Error(NotImplemented) naming the model kind when no
// factory is registered, and the factory's own errors (unsupported op or layer, ...).
std::shared_ptr<Predictor> make_predictor(const LoadContext& context);
std::shared_ptr<Predictor> load_predictor(const ModelFile& model, const LoadOptions& options = {});

}  // namespace opencoreml

#define OCML_CONCAT_INNER(a, b) a##b
#define OCML_CONCAT(a, b) OCML_CONCAT_INNER(a, b)
// Registers a model-kind factory from a source file: OCML_REGISTER_MODEL_KIND(kGlmRegressor, "glmRegressor", fn)
#define OCML_REGISTER_MODEL_KIND(type_case, kind_name, factory)                                  \
    namespace {                                                                                  \
    const bool OCML_CONCAT(ocml_model_kind_registered_, __LINE__) =                              \
        (::opencoreml::register_model_kind(static_cast<int>(type_case), kind_name, factory), true); \
    }
