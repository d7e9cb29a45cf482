// opencoreml format layer: model file and package loading, validation and saving.
#include "opencoreml/model_file.hpp"

#include <google/protobuf/io/coded_stream.h>

#include <filesystem>
#include <map>

#include "Model.pb.h"
#include "format/fs_util.hpp"
#include "opencoreml/blob_storage.hpp"
#include "opencoreml/error.hpp"
#include "opencoreml/model_package.hpp"

namespace opencoreml {

namespace fs = std::filesystem;
namespace spec = CoreML::Specification;
namespace mil = CoreML::Specification::MILSpec;

namespace {

constexpr const char* kModelPathPrefix = "@model_path/";

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Resolves and checks every BlobFileValue of an ML program, opening each weight file once.
class WeightReferenceChecker {
public:
    WeightReferenceChecker(std::string origin, std::string model_dir)
        : origin_(std::move(origin)), model_dir_(std::move(model_dir)) {}

    void check_block(const mil::Block& block, const std::string& where) {
        for (const auto& op : block.operations()) {
            const std::string op_where = where + ", op '" + op_name(op) + "' (" + op.type() + ")";
            for (const auto& [name, value] : op.attributes()) check_value(value, op_where);
            for (const auto& [name, arg] : op.inputs())
                for (const auto& binding : arg.arguments())
                    if (binding.has_value()) check_value(binding.value(), op_where);
            for (const auto& nested : op.blocks()) check_block(nested, op_where);
        }
    }

private:
    static std::string op_name(const mil::Operation& op) {
        auto it = op.attributes().find("name");
        if (it != op.attributes().end() && it->second.has_immediatevalue() &&
            it->second.immediatevalue().has_tensor() && it->second.immediatevalue().tensor().has_strings() &&
            it->second.immediatevalue().tensor().strings().values_size() > 0)
            return it->second.immediatevalue().tensor().strings().values(0);
        return op.outputs_size() ? op.outputs(0).name() : std::string("?");
    }

    void check_value(const mil::Value& value, const std::string& where) {
        if (!value.has_blobfilevalue()) return;
        const auto& blob = value.blobfilevalue();
        std::string file = blob.filename();
        if (file.rfind(kModelPathPrefix, 0) == 0) {
            file = (fs::path(model_dir_) / file.substr(std::string(kModelPathPrefix).size())).string();
        } else if (fs::path(file).is_relative()) {
            file = (fs::path(model_dir_) / file).string();
        }
        auto& reader = readers_[file];
        try {
            if (!reader) reader = blob::BlobReader::open(file);
            reader->info(blob.offset());
        } catch (const Error& e) {
            throw Error(e.code(), origin_ + ": " + where + " references weights that cannot be read: " + e.what());
        }
    }

    std::string origin_;
    std::string model_dir_;
    std::map<std::string, std::shared_ptr<blob::BlobReader>> readers_;
};

void check_spec_weights(const spec::Model& model, const std::string& origin, const std::string& model_dir) {
    switch (model.Type_case()) {
        case spec::Model::kMlProgram: {
            WeightReferenceChecker checker(origin, model_dir);
            for (const auto& [fname, function] : model.mlprogram().functions())
                for (const auto& [opset, block] : function.block_specializations())
                    checker.check_block(block, "function '" + fname + "'");
            break;
        }
        case spec::Model::kPipeline:
        case spec::Model::kPipelineClassifier:
        case spec::Model::kPipelineRegressor: {
            const auto& pipe = model.has_pipeline() ? model.pipeline()
                               : model.has_pipelineclassifier() ? model.pipelineclassifier().pipeline()
                                                                : model.pipelineregressor().pipeline();
            for (int i = 0; i < pipe.models_size(); ++i)
                check_spec_weights(pipe.models(i), origin + " (pipeline model " + std::to_string(i) + ")", model_dir);
            break;
        }
        default:
            break;
    }
}

}  // namespace

std::shared_ptr<spec::Model> parse_spec(const std::string& bytes, const std::string& origin) {
    auto model = std::make_shared<spec::Model>();
    google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                  static_cast<int>(bytes.size()));
    input.SetRecursionLimit(1000);  // deeply nested pipelines and control flow are legitimate
    if (bytes.size() > static_cast<size_t>(INT32_MAX) || !model->ParseFromCodedStream(&input) ||
        !input.ConsumedEntireMessage())
        throw Error(ErrorCode::InvalidModel, origin + ": not a valid Core ML model (the protobuf is corrupt or truncated, " +
                                                 std::to_string(bytes.size()) + " bytes)");
    return model;
}

void validate_spec(const spec::Model& model, const std::string& origin, const std::string& model_dir) {
    const int version = model.specificationversion();
    if (version <= 0)
        throw Error(ErrorCode::InvalidModel, origin + ": not a Core ML model (specificationVersion is " +
                                                 std::to_string(version) + "; the file may be empty or of another format)");
    if (version > kMaximumSpecificationVersion)
        throw Error(ErrorCode::UnsupportedVersion,
                    origin + ": specification version " + std::to_string(version) +
                        " is newer than the newest this build supports (" +
                        std::to_string(kMaximumSpecificationVersion) + ")");
    if (model.Type_case() == spec::Model::TYPE_NOT_SET)
        throw Error(ErrorCode::InvalidModel, origin + ": the model has no model type (the spec's Type oneof is empty)");
    if (!model_dir.empty()) check_spec_weights(model, origin, model_dir);
}

ModelFile load_model_file(const std::string& path) {
    ModelFile result;
    result.path = path;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(ErrorCode::NotFound, "model '" + path + "' does not exist");
    if (is_package_path(path)) {
        ModelPackage pkg = ModelPackage::open(path);
        result.is_package = true;
        result.spec_path = pkg.root_model_path();
        result.weights_dir = pkg.weights_path();
    } else {
        result.spec_path = path;
    }
    const std::string origin = "model '" + path + "'";
    auto model = parse_spec(fsutil::read_file(result.spec_path, "model file"), origin);
    validate_spec(*model, origin, fs::path(result.spec_path).parent_path().string());
    result.spec = std::move(model);
    return result;
}

void save_model_file(const std::string& path, const std::string& spec_bytes, const std::string& weights_dir,
                     const std::string& source_package) {
    if (path.empty()) throw Error(ErrorCode::InvalidArgument, "cannot save a model to an empty path");
    if (ends_with(path, ".mlpackage") || is_package_path(path)) {
        ModelPackage::write(path, spec_bytes, weights_dir, source_package);
        return;
    }
    fsutil::write_file_atomic(path, spec_bytes);
}

}  // namespace opencoreml
