// opencoreml neural networks: the network translator (see network_translator.hpp).
#include "nn/network_translator.hpp"

#include <set>

#include "nn/layer_context.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::nn {

namespace spec = CoreML::Specification;

namespace {

[[noreturn]] void invalid(const std::string& origin, const std::string& problem) {
    throw Error(ErrorCode::InvalidModel, origin + ": " + problem);
}

// Dims of a multi-array input: the default shape, -1 where flexible shapes let a dim vary.
Shape array_dims(const spec::ArrayFeatureType& a) {
    Shape dims(a.shape().begin(), a.shape().end());
    if (a.has_shaperange()) {
        const auto& ranges = a.shaperange().sizeranges();
        if (dims.size() != static_cast<size_t>(ranges.size())) dims.assign(static_cast<size_t>(ranges.size()), -1);
        for (int i = 0; i < ranges.size(); ++i)
            if (ranges[i].lowerbound() != ranges[i].upperbound()) dims[static_cast<size_t>(i)] = -1;
            else dims[static_cast<size_t>(i)] = static_cast<int64_t>(ranges[i].lowerbound());
    } else if (a.has_enumeratedshapes()) {
        for (const auto& s : a.enumeratedshapes().shapes()) {
            if (dims.empty()) dims.assign(s.shape().begin(), s.shape().end());
            if (static_cast<size_t>(s.shape_size()) != dims.size()) continue;
            for (size_t i = 0; i < dims.size(); ++i)
                if (dims[i] != s.shape(static_cast<int>(i))) dims[i] = -1;
        }
    }
    return dims;
}

InputBinding bind_input(const spec::FeatureDescription& d, const NetworkSpec& net, const std::string& origin) {
    InputBinding b;
    b.feature = d.name();
    const auto& type = d.type();
    if (type.has_imagetype()) {
        const auto& img = type.imagetype();
        b.image = true;
        b.rank5 = net.image_mapping == spec::RANK5_IMAGE_MAPPING;
        const int64_t channels = img.colorspace() == spec::ImageFeatureType::GRAYSCALE ||
                                         img.colorspace() == spec::ImageFeatureType::GRAYSCALE_FLOAT16
                                     ? 1
                                     : 3;
        const bool flexible = img.has_imagesizerange() || img.has_enumeratedsizes();
        const int64_t h = flexible ? -1 : static_cast<int64_t>(img.height());
        const int64_t w = flexible ? -1 : static_cast<int64_t>(img.width());
        b.shape = b.rank5 ? Shape{1, 1, channels, h, w} : Shape{1, channels, h, w};
        return b;
    }
    if (!type.has_multiarraytype())
        invalid(origin, "neural network input '" + d.name() + "' must be a multi-array or an image");
    const Shape dims = array_dims(type.multiarraytype());
    if (net.array_mapping == spec::RANK5_ARRAY_MAPPING) {
        b.rank5 = true;
        if (dims.size() == 1) b.shape = {1, 1, dims[0], 1, 1};
        else if (dims.size() == 3) b.shape = {1, 1, dims[0], dims[1], dims[2]};
        else
            invalid(origin, "input '" + d.name() + "' has rank " + std::to_string(dims.size()) +
                                "; with the rank-5 array mapping inputs must have shape [C] or [C, H, W]");
    } else {
        if (dims.empty()) invalid(origin, "input '" + d.name() + "' declares no shape (needed with the exact array mapping)");
        b.shape = dims;
    }
    return b;
}

class Translator {
public:
    Translator(const NetworkSpec& net, std::string origin) : net_(net), origin_(std::move(origin)) {}

    std::unique_ptr<TranslatedNetwork> run(const spec::ModelDescription& description, const std::vector<std::string>& wanted) {
        auto result = std::make_unique<TranslatedNetwork>();
        TranslatedNetwork& out = *result;
        check_supported();
        for (const auto& d : description.input()) {
            InputBinding b = bind_input(d, net_, origin_);
            blobs_[b.feature] = out.writer.input(b.feature, DType::Float32, b.shape);
            out.inputs.push_back(std::move(b));
        }
        index_producers();
        const bool rank5 = net_.array_mapping == spec::RANK5_ARRAY_MAPPING;
        for (int i = 0; i < net_.layers.size(); ++i) translate_layer(out.writer, net_.layers[i], i, rank5);
        for (const auto& name : wanted) {
            auto it = blobs_.find(name);
            if (it == blobs_.end()) invalid(origin_, "output '" + name + "' is not produced by any layer of the network");
            out.writer.output(it->second);
            out.outputs.emplace(name, it->second);
        }
        return result;
    }

private:
    // Every layer kind must be translatable: list all that are not in one error.
    void check_supported() const {
        std::set<std::string> missing;
        for (const auto& layer : net_.layers) {
            if (layer.layer_case() == spec::NeuralNetworkLayer::kCustom) {
                throw Error(ErrorCode::NotImplemented, origin_ + ": layer '" + layer.name() + "' is a custom layer (class '" +
                                                           layer.custom().classname() +
                                                           "'); custom layers need their implementation, which Core ML "
                                                           "models do not carry");
            }
            if (layer.layer_case() == spec::NeuralNetworkLayer::LAYER_NOT_SET)
                invalid(origin_, "layer '" + layer.name() + "' has no layer type set");
            if (!find_layer(static_cast<int>(layer.layer_case())))
                missing.insert(layer_kind_name(static_cast<int>(layer.layer_case())));
        }
        if (missing.empty()) return;
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        throw Error(ErrorCode::NotImplemented, origin_ + ": the neural network uses layer kind(s) this build does not support: " + list);
    }

    void index_producers() {
        for (int i = 0; i < net_.layers.size(); ++i)
            for (const auto& o : net_.layers[i].output()) producer_.emplace(o, i);
    }

    void translate_layer(MilWriter& writer, const spec::NeuralNetworkLayer& layer, int index, bool rank5) {
        std::vector<Var> inputs;
        for (const auto& name : layer.input()) {
            auto it = blobs_.find(name);
            if (it != blobs_.end()) {
                inputs.push_back(it->second);
                continue;
            }
            auto later = producer_.find(name);
            if (later != producer_.end() && later->second >= index)
                invalid(origin_, "layer '" + layer.name() + "' consumes blob '" + name + "' before layer '" +
                                     net_.layers[later->second].name() +
                                     "' produces it (layers must come in execution order; the graph may have a cycle)");
            invalid(origin_, "layer '" + layer.name() + "' consumes an input named '" + name +
                                 "' which is not produced by any layer nor a model input");
        }
        for (const auto& name : layer.output()) {
            if (blobs_.count(name) && layer.layer_case() != spec::NeuralNetworkLayer::kCopy) {
                auto first = producer_.find(name);
                const std::string by = first != producer_.end() && first->second < index
                                           ? "layer '" + net_.layers[first->second].name() + "'"
                                           : std::string("a model input");
                invalid(origin_, "layer '" + layer.name() + "' produces blob '" + name + "' which is also produced by " + by);
            }
        }
        LayerContext ctx(writer, layer, std::move(inputs), rank5, origin_);
        find_layer(static_cast<int>(layer.layer_case()))(ctx);
        for (size_t i = 0; i < ctx.outputs().size(); ++i) {
            if (!ctx.outputs()[i]) ctx.fail("produced no value for output '" + layer.output(static_cast<int>(i)) + "'");
            blobs_[layer.output(static_cast<int>(i))] = *ctx.outputs()[i];
        }
    }

    const NetworkSpec& net_;
    std::string origin_;
    std::map<std::string, Var> blobs_;
    std::map<std::string, int> producer_;  // blob -> first layer producing it
};

}  // namespace

std::unique_ptr<TranslatedNetwork> translate_network(const NetworkSpec& net, const spec::ModelDescription& description,
                                    const std::vector<std::string>& wanted, const std::string& origin) {
    return Translator(net, origin).run(description, wanted);
}

}  // namespace opencoreml::nn
