// opencoreml neural networks: the network translator (see network_translator.hpp) — model
// inputs as program inputs (with the rank-5 or exact mapping), then the layer graph.
#include "nn/network_translator.hpp"

#include <set>

#include "nn/graph_translator.hpp"
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
        for (int i = 0; i < ranges.size(); ++i) {
            const int64_t lo = static_cast<int64_t>(ranges[i].lowerbound()), hi = ranges[i].upperbound();
            dims[static_cast<size_t>(i)] = lo == hi ? lo : -1;
        }
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

}  // namespace

std::unique_ptr<TranslatedNetwork> translate_network(const NetworkSpec& net, const spec::ModelDescription& description,
                                                     const std::vector<std::string>& wanted, const std::string& origin) {
    GraphTranslator::check_supported(net.layers, origin);
    auto result = std::make_unique<TranslatedNetwork>();
    TranslatedNetwork& out = *result;
    GraphTranslator graph(out.writer, origin, net.array_mapping == spec::RANK5_ARRAY_MAPPING);
    for (const auto& d : description.input()) {
        InputBinding b = bind_input(d, net, origin);
        graph.define(b.feature, out.writer.input(b.feature, DType::Float32, b.shape));
        out.inputs.push_back(std::move(b));
    }
    graph.expect_reads(std::set<std::string>(wanted.begin(), wanted.end()));
    graph.translate(net.layers);
    for (const auto& name : wanted) {
        auto it = graph.blobs().find(name);
        if (it == graph.blobs().end()) invalid(origin, "output '" + name + "' is not produced by any layer of the network");
        out.writer.output(it->second);
        out.outputs.emplace(name, it->second);
    }
    return result;
}

}  // namespace opencoreml::nn
