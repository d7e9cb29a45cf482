// opencoreml: loading and saving Core ML model files (.mlmodel and .mlpackage) with
// validation — the boundary between bytes on disk and a parsed specification.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace CoreML::Specification {
class Model;
}

namespace opencoreml {

// Newest specification version this build reads (Core ML 9 / iOS 26 writes 10).
constexpr int kMaximumSpecificationVersion = 10;

struct ModelFile {
    std::string path;                        // what the caller named (file or package)
    std::string spec_path;                   // the protobuf file itself
    bool is_package = false;
    std::optional<std::string> weights_dir;  // package weights folder, when present
    std::shared_ptr<const CoreML::Specification::Model> spec;
};

// Reads, parses and validates a model file or package. Throws opencoreml::Error naming the
// file and the problem: missing, truncated or corrupt protobuf, bad manifest, spec version
// newer than supported, or an ML program weight reference that does not resolve.
ModelFile load_model_file(const std::string& path);

// Parses serialized spec bytes; `origin` names where they came from in error messages.
std::shared_ptr<CoreML::Specification::Model> parse_spec(const std::string& bytes, const std::string& origin);

// Checks a parsed spec: version range, model kind present, and (for ML programs, given the
// folder that `@model_path` stands for) that every weight reference points at a valid blob.
void validate_spec(const CoreML::Specification::Model& spec, const std::string& origin,
                   const std::string& model_dir);

// Saves serialized spec bytes. A path ending in .mlpackage (or an existing directory) gets a
// package, with `weights_dir` copied in when given; `source_package` (optional) is a loaded
// package whose other items are kept. Anything else gets a single .mlmodel file. The write is
// atomic: on failure the previous file or package at `path` is left as it was.
void save_model_file(const std::string& path, const std::string& spec_bytes, const std::string& weights_dir = "",
                     const std::string& source_package = "");

}  // namespace opencoreml
