// opencoreml neural networks: the Predictor for the neuralNetwork, neuralNetworkClassifier and
// neuralNetworkRegressor model kinds. The network is translated once into an ML program and
// runs on the MIL engine (planner, executor, buffer pool and kernels); this file binds features
// to the program — float32 arrays (rank-5 mapped when the network asks for it), preprocessed
// images — and turns blobs back into the described outputs and classifier results.
#include <map>
#include <optional>

#include "Model.pb.h"
#include "mil/batch_rows.hpp"
#include "mil/buffer_pool.hpp"
#include "mil/executor.hpp"
#include "mil/program.hpp"
#include "mil/thread_pool.hpp"
#include "models/common/classic_io.hpp"
#include "nn/image_io.hpp"
#include "nn/network_translator.hpp"
#include "opencoreml/predictor.hpp"
#include "runtime/array_types.hpp"

namespace opencoreml::nn {

namespace spec = CoreML::Specification;

namespace {

struct ClassifierSpec {
    models::ClassLabels labels;
    std::string probability_blob;
};

// Outputs read straight from blobs: described multi-arrays and images.
std::vector<std::string> blob_outputs(const spec::ModelDescription& description) {
    std::vector<std::string> names;
    for (const auto& o : description.output())
        if (o.type().has_multiarraytype() || o.type().has_imagetype()) names.push_back(o.name());
    return names;
}

class NeuralNetworkPredictor final : public Predictor {
public:
    NeuralNetworkPredictor(const LoadContext& ctx, const NetworkSpec& net, std::optional<ClassifierSpec> classifier)
        : Predictor(ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin)),
          origin_(ctx.origin), description_(ctx.spec.description()), classifier_(std::move(classifier)),
          pool_(mil::BufferPool::create()), threads_(std::make_unique<mil::ThreadPool>(ctx.options.num_threads)) {
        std::vector<std::string> wanted = blob_outputs(description_);
        if (classifier_) wanted.push_back(classifier_->probability_blob);
        network_ = translate_network(net, description_, wanted, origin_);
        for (const auto& in : network_->inputs)
            if (in.image)
                preprocessing_[in.feature] =
                    image_preprocessing(net, in.feature, interface().find_input(in.feature)->type().imagetype());
        rank5_outputs_ = net.array_mapping == spec::RANK5_ARRAY_MAPPING;
        const mil::ProgramSource source{&network_->writer.program(), "main", ctx.model_dir, origin_, ctx.options.num_threads,
                                        &network_->writer.constants()};
        function_ = mil::load_function(source, *threads_, pool_);
    }

    std::vector<FeatureMap> run_batch(const std::vector<FeatureMap>& batch) const override {
        return mil::run_rows(*threads_, batch, [this](const FeatureMap& row) { return run(row, nullptr); });
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        mil::Frame frame(function_->values.size());
        for (const auto& [name, id] : function_->inputs) frame.values[static_cast<size_t>(id)] = bind_input(name, inputs);
        const mil::ExecEnv env{*function_, *pool_, *threads_, origin_, profiler_.get()};
        const std::vector<mil::RtValue> results = mil::run_block(function_->body, {}, frame, env);

        std::map<std::string, const Tensor*> blobs;
        for (size_t i = 0; i < function_->body.outputs.size(); ++i) {
            const auto* t = std::get_if<Tensor>(&results[i]);
            if (!t) throw Error(ErrorCode::InvalidModel, origin_ + ": the network produced a non-tensor value");
            blobs[function_->values[static_cast<size_t>(function_->body.outputs[i])].name] = t;
        }
        FeatureMap outputs;
        for (const auto& d : description_.output()) {
            auto blob = network_->outputs.find(d.name());
            if (blob == network_->outputs.end()) continue;
            const Tensor& t = *blobs.at(blob->second.name);
            if (d.type().has_imagetype()) outputs[d.name()] = blob_to_image(t, d.type().imagetype(), where(d.name()));
            else outputs[d.name()] = shaped_output(t, d.type().multiarraytype());
        }
        if (classifier_) write_classification(*blobs.at(network_->outputs.at(classifier_->probability_blob).name), outputs);
        return outputs;
    }

private:
    std::string where(const std::string& feature) const { return origin_ + ": feature '" + feature + "'"; }

    Tensor bind_input(const std::string& name, const FeatureMap& inputs) const {
        const InputBinding& b = binding(name);
        auto it = inputs.find(name);
        if (it == inputs.end()) {
            // An optional input left out reads as zeros (e.g. a recurrent layer's initial state).
            for (int64_t d : b.shape)
                if (d < 0) throw Error(ErrorCode::InvalidArgument, where(name) + " is required (its shape is flexible)");
            return Tensor::zeros(DType::Float32, b.shape);
        }
        if (const auto* image = std::get_if<ImageValue>(&it->second))
            return image_to_input(*image, interface().find_input(name)->type().imagetype(), preprocessing_.at(name), b.rank5,
                                  where(name));
        const auto* t = std::get_if<Tensor>(&it->second);
        if (!t) throw Error(ErrorCode::InvalidArgument, where(name) + " must be a multi-array or an image");
        Tensor f = t->dtype() == DType::Float32 ? *t : t->to(DType::Float32);
        if (!b.rank5) return f;
        // [C] and [C, H, W] sit in the last dims of [Seq, Batch, C, H, W].
        Shape full = f.shape();
        if (full.size() == 1) full = {1, 1, full[0], 1, 1};
        while (full.size() < 5) full.insert(full.begin(), 1);
        return f.reshaped(full);
    }

    const InputBinding& binding(const std::string& name) const {
        for (const auto& b : network_->inputs)
            if (b.feature == name) return b;
        throw Error(ErrorCode::InvalidModel, where(name) + " is not an input of the network");
    }

    // Core ML hands rank-5 blobs back in the described shape when it fits, else as [C, H, W]
    // (dropping Seq and Batch when both are 1).
    FeatureValue shaped_output(const Tensor& t, const spec::ArrayFeatureType& type) const {
        Tensor out = t;
        if (rank5_outputs_) {
            const Shape declared(type.shape().begin(), type.shape().end());
            if (!declared.empty() && shape_numel(declared) == t.numel()) out = t.reshaped(declared);
            else if (t.rank() == 5 && t.dim(0) == 1 && t.dim(1) == 1) out = t.reshaped({t.dim(2), t.dim(3), t.dim(4)});
        }
        const DType want = array_feature_dtype(type.datatype());
        return out.dtype() == want ? out : out.to(want);
    }

    void write_classification(const Tensor& probabilities, FeatureMap& outputs) const {
        const size_t classes = models::label_count(classifier_->labels);
        if (static_cast<size_t>(probabilities.numel()) != classes)
            throw Error(ErrorCode::InvalidModel, origin_ + ": the probability blob '" + classifier_->probability_blob + "' has " +
                                                     std::to_string(probabilities.numel()) + " values for " +
                                                     std::to_string(classes) + " class labels");
        const Tensor f = probabilities.to(DType::Float64);
        std::vector<double> scores(f.data<double>(), f.data<double>() + classes);
        models::write_classifier_outputs(description_, interface(), classifier_->labels, scores, outputs);
    }

    std::string origin_;
    spec::ModelDescription description_;
    std::optional<ClassifierSpec> classifier_;
    std::shared_ptr<mil::BufferPool> pool_;
    std::unique_ptr<mil::ThreadPool> threads_;
    std::unique_ptr<mil::OpProfiler> profiler_ = mil::OpProfiler::from_environment(origin_);
    std::unique_ptr<TranslatedNetwork> network_;
    std::unique_ptr<mil::LoadedFunction> function_;
    std::map<std::string, ImagePreprocessing> preprocessing_;
    bool rank5_outputs_ = false;
};

std::unique_ptr<Predictor> make_network(const LoadContext& ctx) {
    return std::make_unique<NeuralNetworkPredictor>(ctx, network_spec(ctx.spec.neuralnetwork()), std::nullopt);
}

std::unique_ptr<Predictor> make_regressor(const LoadContext& ctx) {
    return std::make_unique<NeuralNetworkPredictor>(ctx, network_spec(ctx.spec.neuralnetworkregressor()), std::nullopt);
}

std::unique_ptr<Predictor> make_classifier(const LoadContext& ctx) {
    const auto& nn = ctx.spec.neuralnetworkclassifier();
    ClassifierSpec classifier{models::labels_from(nn.stringclasslabels(), nn.int64classlabels()),
                              nn.labelprobabilitylayername()};
    if (models::label_count(classifier.labels) == 0)
        throw Error(ErrorCode::InvalidModel, ctx.origin + ": the neural network classifier has no class labels");
    if (classifier.probability_blob.empty()) {
        if (nn.layers().empty() || nn.layers(nn.layers_size() - 1).output().empty())
            throw Error(ErrorCode::InvalidModel, ctx.origin + ": the neural network classifier has no layers");
        classifier.probability_blob = nn.layers(nn.layers_size() - 1).output(0);
    }
    return std::make_unique<NeuralNetworkPredictor>(ctx, network_spec(nn), std::move(classifier));
}

}  // namespace

OCML_REGISTER_MODEL_KIND(spec::Model::kNeuralNetwork, "neuralNetwork", make_network)
OCML_REGISTER_MODEL_KIND(spec::Model::kNeuralNetworkRegressor, "neuralNetworkRegressor", make_regressor)
OCML_REGISTER_MODEL_KIND(spec::Model::kNeuralNetworkClassifier, "neuralNetworkClassifier", make_classifier)

}  // namespace opencoreml::nn
