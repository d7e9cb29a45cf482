// opencoreml: the .mlpackage directory format — Manifest.json, its items, the root model
// and the weights folder. Reads and validates an existing package and writes new ones.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace opencoreml {

struct PackageItem {
    std::string identifier;   // key in Manifest.json's itemInfoEntries
    std::string path;         // relative to <package>/Data
    std::string name;
    std::string author;
    std::string description;
};

class ModelPackage {
public:
    // Opens and validates an existing package; throws opencoreml::Error naming the package
    // and the problem (missing or malformed Manifest.json, unknown version, missing item).
    static ModelPackage open(const std::string& package_path);

    const std::string& path() const { return path_; }
    const std::map<std::string, PackageItem>& items() const { return items_; }
    const PackageItem& root_model() const;
    std::string root_model_path() const;               // absolute path of the root model file
    std::optional<std::string> weights_path() const;   // the weights folder, if present on disk
    std::optional<PackageItem> find_item(const std::string& name, const std::string& author) const;

    // Writes a package at `package_path` holding `model_bytes` as the root model and, when
    // `weights_dir` is non-empty, a copy of that folder as the weights item. The package is
    // assembled beside the destination and renamed into place, so an existing package is
    // only replaced once the new one is complete.
    static void write(const std::string& package_path, const std::string& model_bytes,
                      const std::string& weights_dir, const std::string& extra_files_from = "");

    static constexpr const char* kAuthor = "com.apple.CoreML";
    static constexpr const char* kModelName = "model.mlmodel";
    static constexpr const char* kWeightsName = "weights";

private:
    std::string path_;
    std::string root_identifier_;
    std::map<std::string, PackageItem> items_;
};

// True if `path` names a directory (a package) rather than a single model file.
bool is_package_path(const std::string& path);

}  // namespace opencoreml
