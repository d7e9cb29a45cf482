// opencoreml info: builds a ModelSummary from a loaded model and renders it as text.
#include "opencoreml/model_info.hpp"

#include <filesystem>
#include <set>
#include <sstream>

#include "Model.pb.h"
#include "info/feature_text.hpp"
#include "opencoreml/blob_storage.hpp"

namespace opencoreml {

namespace fs = std::filesystem;
namespace spec = CoreML::Specification;
namespace mil = CoreML::Specification::MILSpec;
namespace pb = google::protobuf;

namespace {

std::vector<FeatureSummary> features(const pb::RepeatedPtrField<spec::FeatureDescription>& list) {
    std::vector<FeatureSummary> out;
    for (const auto& f : list)
        out.push_back({f.name(), info::describe_feature_type(f.type()), f.shortdescription(), f.type().isoptional()});
    return out;
}


template <typename Layers>
void count_layers(const Layers& layers, std::map<std::string, int64_t>& counts);

void count_network_layers(const spec::NeuralNetworkLayer& layer, std::map<std::string, int64_t>& counts) {
    const auto* field = spec::NeuralNetworkLayer::descriptor()->FindFieldByNumber(layer.layer_case());
    counts[field ? field->name() : "unknown"]++;
    if (layer.has_branch()) {
        count_layers(layer.branch().ifbranch().layers(), counts);
        count_layers(layer.branch().elsebranch().layers(), counts);
    } else if (layer.has_loop()) {
        count_layers(layer.loop().conditionnetwork().layers(), counts);
        count_layers(layer.loop().bodynetwork().layers(), counts);
    }
}

template <typename Layers>
void count_layers(const Layers& layers, std::map<std::string, int64_t>& counts) {
    for (const auto& layer : layers) count_network_layers(layer, counts);
}

void count_ops(const mil::Block& block, std::map<std::string, int64_t>& counts,
               std::set<std::pair<std::string, uint64_t>>& blobs) {
    for (const auto& op : block.operations()) {
        counts[op.type()]++;
        auto note = [&](const mil::Value& v) {
            if (v.has_blobfilevalue()) blobs.insert({v.blobfilevalue().filename(), v.blobfilevalue().offset()});
        };
        for (const auto& [k, v] : op.attributes()) note(v);
        for (const auto& [k, arg] : op.inputs())
            for (const auto& b : arg.arguments())
                if (b.has_value()) note(b.value());
        for (const auto& nested : op.blocks()) count_ops(nested, counts, blobs);
    }
}

// Bytes held in a NeuralNetwork's WeightParams, found by walking the spec reflectively so
// every layer kind (and any added later) is covered.
uint64_t weight_param_bytes(const pb::Message& msg) {
    if (msg.GetDescriptor() == spec::WeightParams::descriptor()) {
        const auto& w = static_cast<const spec::WeightParams&>(msg);
        return w.floatvalue_size() * 4ull + w.float16value().size() + w.rawvalue().size() + w.int8rawvalue().size();
    }
    uint64_t total = 0;
    const pb::Reflection* refl = msg.GetReflection();
    std::vector<const pb::FieldDescriptor*> fields;
    refl->ListFields(msg, &fields);
    for (const auto* f : fields) {
        if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
        if (f->is_repeated()) {
            for (int i = 0; i < refl->FieldSize(msg, f); ++i) total += weight_param_bytes(refl->GetRepeatedMessage(msg, f, i));
        } else {
            total += weight_param_bytes(refl->GetMessage(msg, f));
        }
    }
    return total;
}

void add_program(const spec::Model& m, const std::string& model_dir, ModelSummary& s) {
    std::set<std::pair<std::string, uint64_t>> blobs;
    const auto& desc = m.description();
    if (!desc.defaultfunctionname().empty()) s.functions.push_back(desc.defaultfunctionname());
    for (const auto& [name, fn] : m.mlprogram().functions()) {
        if (name != desc.defaultfunctionname()) s.functions.push_back(name);
        for (const auto& [opset, block] : fn.block_specializations()) count_ops(block, s.op_counts, blobs);
    }
    if (model_dir.empty()) return;
    std::map<std::string, std::shared_ptr<blob::BlobReader>> readers;
    for (const auto& [file, offset] : blobs) {
        std::string path = file;
        const std::string prefix = "@model_path/";
        if (path.rfind(prefix, 0) == 0) path = (fs::path(model_dir) / path.substr(prefix.size())).string();
        auto& reader = readers[path];
        if (!reader) reader = blob::BlobReader::open(path);
        const blob::BlobInfo info = reader->info(offset);
        s.weights.push_back({path, offset, blob::dtype_name(info.dtype), info.size_in_bytes, info.element_count});
        s.weight_bytes += info.size_in_bytes;
    }
}

const spec::Pipeline* pipeline_of(const spec::Model& m) {
    if (m.has_pipeline()) return &m.pipeline();
    if (m.has_pipelineclassifier()) return &m.pipelineclassifier().pipeline();
    if (m.has_pipelineregressor()) return &m.pipelineregressor().pipeline();
    return nullptr;
}

}  // namespace

std::string model_kind_name(const spec::Model& m) {
    const auto* field = spec::Model::descriptor()->FindFieldByNumber(m.Type_case());
    return field ? field->name() : "unset";
}

ModelSummary summarize(const ModelFile& model) {
    const spec::Model& m = *model.spec;
    ModelSummary s;
    s.path = model.path;
    s.kind = model_kind_name(m);
    s.specification_version = m.specificationversion();
    const auto& desc = m.description();
    s.interface["inputs"] = features(desc.input());
    s.interface["outputs"] = features(desc.output());
    if (desc.state_size()) s.interface["states"] = features(desc.state());

    const auto& md = desc.metadata();
    if (!md.author().empty()) s.metadata["author"] = md.author();
    if (!md.license().empty()) s.metadata["license"] = md.license();
    if (!md.shortdescription().empty()) s.metadata["shortDescription"] = md.shortdescription();
    if (!md.versionstring().empty()) s.metadata["version"] = md.versionstring();
    for (const auto& [k, v] : md.userdefined()) s.metadata[k] = v;

    if (m.has_mlprogram()) {
        // Without a file there is nothing to resolve `@model_path` against: list no blobs.
        const std::string model_dir =
            model.spec_path.empty() ? std::string() : fs::path(model.spec_path).parent_path().string();
        add_program(m, model_dir, s);
    } else if (m.has_neuralnetwork()) {
        count_layers(m.neuralnetwork().layers(), s.op_counts);
        s.weight_bytes = weight_param_bytes(m);
    } else if (m.has_neuralnetworkclassifier()) {
        count_layers(m.neuralnetworkclassifier().layers(), s.op_counts);
        s.weight_bytes = weight_param_bytes(m);
    } else if (m.has_neuralnetworkregressor()) {
        count_layers(m.neuralnetworkregressor().layers(), s.op_counts);
        s.weight_bytes = weight_param_bytes(m);
    } else if (const spec::Pipeline* p = pipeline_of(m)) {
        for (const auto& sub : p->models()) s.op_counts[model_kind_name(sub)]++;
    }
    return s;
}

std::string to_text(const ModelSummary& s) {
    std::ostringstream out;
    out << "Model: " << s.path << "\n";
    out << "  kind: " << s.kind << "\n";
    out << "  specification version: " << s.specification_version << "\n";
    if (!s.functions.empty()) {
        out << "  functions:";
        for (size_t i = 0; i < s.functions.size(); ++i) out << (i ? ", " : " ") << s.functions[i] << (i ? "" : " (default)");
        out << "\n";
    }
    for (const char* section : {"inputs", "outputs", "states"}) {
        auto it = s.interface.find(section);
        if (it == s.interface.end()) continue;
        out << "  " << section << ":\n";
        for (const auto& f : it->second) {
            out << "    " << f.name << ": " << f.type << (f.optional ? " [optional]" : "");
            if (!f.description.empty()) out << "  -- " << f.description;
            out << "\n";
        }
    }
    if (!s.metadata.empty()) {
        out << "  metadata:\n";
        for (const auto& [k, v] : s.metadata) out << "    " << k << ": " << v << "\n";
    }
    if (!s.op_counts.empty()) {
        int64_t total = 0;
        for (const auto& [k, n] : s.op_counts) total += n;
        const bool is_pipeline = s.kind.rfind("pipeline", 0) == 0;
        out << "  " << (is_pipeline ? "models" : s.kind == "mlProgram" ? "ops" : "layers") << " (" << total << "):\n";
        for (const auto& [k, n] : s.op_counts) out << "    " << k << ": " << n << "\n";
    }
    if (!s.weights.empty()) {
        out << "  weight blobs (" << s.weights.size() << ", " << s.weight_bytes << " bytes):\n";
        for (const auto& w : s.weights)
            out << "    @" << w.offset << ": " << w.dtype << " x " << w.element_count << " (" << w.size_in_bytes
                << " bytes)\n";
    } else if (s.weight_bytes) {
        out << "  weights: " << s.weight_bytes << " bytes\n";
    }
    return out.str();
}

}  // namespace opencoreml
