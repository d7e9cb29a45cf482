// opencoreml transformers: the linkedModel model kind — a model whose work is done by
// another model file, found by name along the spec's search path (":"-separated folders,
// relative ones taken from this model's folder; empty means this folder). Core ML links
// compiled .mlmodelc folders, which only Apple's framework reads, so for "X.mlmodelc" the
// source model X.mlmodel or X.mlpackage beside it is loaded instead.
#include <filesystem>
#include <memory>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

namespace fs = std::filesystem;

// Links can form cycles (a model linking itself); a deep chain is certainly one.
constexpr int kMaximumLinkDepth = 16;
thread_local int link_depth = 0;

std::vector<std::string> split_search_path(const std::string& path) {
    std::vector<std::string> folders;
    size_t start = 0;
    while (true) {
        const size_t colon = path.find(':', start);
        const std::string folder = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        folders.push_back(folder.empty() ? "." : folder);
        if (colon == std::string::npos) return folders;
        start = colon + 1;
    }
}

std::vector<std::string> file_names(const std::string& name) {
    const fs::path p(name);
    if (p.extension() == ".mlmodelc") {
        const std::string stem = (p.parent_path() / p.stem()).string();
        return {stem + ".mlmodel", stem + ".mlpackage"};
    }
    return {name};
}

class LinkedModel final : public Predictor {
public:
    explicit LinkedModel(const LoadContext& ctx) : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "linkedModel")) {
        const auto& link = ctx.spec.linkedmodel();
        if (!link.has_linkedmodelfile()) invalid_model(origin_, "no link is set (linkedModelFile)");
        const std::string name = link.linkedmodelfile().linkedmodelfilename().defaultvalue();
        if (name.empty()) invalid_model(origin_, "linkedModelFileName is empty");
        const std::string found = locate(name, link.linkedmodelfile().linkedmodelsearchpath().defaultvalue(), ctx.model_dir);

        if (link_depth >= kMaximumLinkDepth)
            invalid_model(origin_, "linked models are nested more than " + std::to_string(kMaximumLinkDepth) + " deep (a cycle?)");
        ++link_depth;
        try {
            file_ = load_model_file(found);
            LoadOptions options = ctx.options;
            options.function_name.clear();
            linked_ = load_predictor(file_, options);
        } catch (...) {
            --link_depth;
            throw;
        }
        --link_depth;

        for (const auto& d : linked_->interface().inputs())
            if (!d.type().isoptional() && !interface().find_input(d.name()))
                invalid_model(origin_, "the linked model '" + found + "' needs input '" + d.name() + "', which this model does not declare");
        for (const auto& d : interface().outputs())
            if (!linked_->interface().find_output(d.name()))
                invalid_model(origin_, "output '" + d.name() + "' is not produced by the linked model '" + found + "'");
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        FeatureMap forwarded;
        for (const auto& d : linked_->interface().inputs()) {
            auto it = inputs.find(d.name());
            if (it != inputs.end()) forwarded.emplace(it->first, it->second);
        }
        FeatureMap produced = linked_->predict(std::move(forwarded));
        FeatureMap outputs;
        for (const auto& d : interface().outputs()) {
            auto it = produced.find(d.name());
            if (it != produced.end()) outputs.emplace(d.name(), std::move(it->second));
        }
        return outputs;
    }

private:
    std::string locate(const std::string& name, const std::string& search_path, const std::string& model_dir) const {
        std::string tried;
        for (const std::string& folder : split_search_path(search_path)) {
            if (folder[0] == '$') continue;  // app bundle locations exist only inside an Apple app
            fs::path base(folder);
            if (base.is_relative()) {
                if (model_dir.empty()) continue;  // an in-memory spec has no folder to be relative to
                base = fs::path(model_dir) / base;
            }
            for (const std::string& candidate : file_names(name)) {
                const fs::path p = (base / candidate).lexically_normal();
                std::error_code ec;
                if (fs::exists(p, ec)) return p.string();
                tried += (tried.empty() ? "" : ", ") + p.string();
            }
        }
        throw Error(ErrorCode::NotFound, origin_ + ": the linked model '" + name + "' was not found" +
                                   (tried.empty() ? std::string(" (the model was not loaded from a file, so relative search paths have no folder)")
                                                  : " (looked for " + tried + ")"));
    }

    std::string origin_;
    ModelFile file_;
    std::shared_ptr<Predictor> linked_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<LinkedModel>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kLinkedModel, "linkedModel", make)

}  // namespace opencoreml::models::transformers
