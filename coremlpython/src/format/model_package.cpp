// opencoreml format layer: reading, validating and writing .mlpackage directories.
#include "opencoreml/model_package.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "format/fs_util.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kManifest = "Manifest.json";

[[noreturn]] void bad_manifest(const std::string& package, const std::string& problem) {
    throw Error(ErrorCode::InvalidModel, "model package '" + package + "': invalid Manifest.json: " + problem);
}

// "a.b.c" with non-negative integers; only 1.0.0 and older are understood.
void check_format_version(const std::string& package, const json& v) {
    if (!v.is_string()) bad_manifest(package, "'fileFormatVersion' must be a string");
    const std::string s = v.get<std::string>();
    int parts[3] = {0, 0, 0};
    std::istringstream in(s);
    std::string piece;
    int n = 0;
    while (std::getline(in, piece, '.')) {
        if (n >= 3 || piece.empty() || piece.find_first_not_of("0123456789") != std::string::npos)
            bad_manifest(package, "'fileFormatVersion' \"" + s + "\" is not of the form X.Y.Z");
        parts[n++] = std::stoi(piece);
    }
    if (n != 3) bad_manifest(package, "'fileFormatVersion' \"" + s + "\" is not of the form X.Y.Z");
    if (parts[0] > 1 || (parts[0] == 1 && (parts[1] > 0 || parts[2] > 0)))
        throw Error(ErrorCode::UnsupportedVersion,
                    "model package '" + package + "': package format version " + s + " is newer than 1.0.0");
}

std::string string_field(const std::string& package, const std::string& id, const json& entry, const char* key) {
    auto it = entry.find(key);
    if (it == entry.end() || !it->is_string())
        bad_manifest(package, "item '" + id + "' has no string field '" + key + "'");
    return it->get<std::string>();
}

json manifest_json(const std::map<std::string, PackageItem>& items, const std::string& root_id) {
    json entries = json::object();
    for (const auto& [id, item] : items) {
        entries[id] = {{"author", item.author}, {"description", item.description},
                       {"name", item.name}, {"path", item.path}};
    }
    return {{"fileFormatVersion", "1.0.0"}, {"itemInfoEntries", entries}, {"rootModelIdentifier", root_id}};
}

// Copies a folder, leaving out `skip` (the package being assembled may sit inside the
// folder being copied, e.g. save_spec(spec, "out/m.mlpackage", weights_dir="out")).
void copy_tree(const fs::path& from, const fs::path& to, const fs::path& skip = {}) {
    std::error_code ec;
    fs::create_directories(to, ec);
    for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& src = it->path();
        if (!skip.empty() && fs::equivalent(src, skip, ec)) continue;
        const fs::path dst = to / src.filename();
        if (it->is_directory(ec)) {
            copy_tree(src, dst, skip);
        } else {
            fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
            if (ec) break;
        }
    }
    if (ec) throw Error(ErrorCode::Io, "cannot copy '" + from.string() + "' to '" + to.string() + "': " + ec.message());
}

// Moves the finished package at `staged` to `target`, keeping the old one until it succeeds.
void replace_directory(const fs::path& staged, const fs::path& target) {
    std::error_code ec;
    fs::path backup;
    if (fs::exists(target, ec)) {
        backup = fsutil::sibling_temp_path(target, "old");
        fs::rename(target, backup, ec);
        if (ec) throw Error(ErrorCode::Io, "cannot replace '" + target.string() + "': " + ec.message());
    }
    fs::rename(staged, target, ec);
    if (ec) {
        std::error_code ignore;
        if (!backup.empty()) fs::rename(backup, target, ignore);
        throw Error(ErrorCode::Io, "cannot move the new package into '" + target.string() + "': " + ec.message());
    }
    if (!backup.empty()) fs::remove_all(backup, ec);
}

}  // namespace

bool is_package_path(const std::string& path) {
    std::error_code ec;
    return fs::is_directory(path, ec);
}

ModelPackage ModelPackage::open(const std::string& package_path) {
    ModelPackage pkg;
    pkg.path_ = package_path;
    std::error_code ec;
    if (!fs::exists(package_path, ec))
        throw Error(ErrorCode::NotFound, "model package '" + package_path + "' does not exist");
    if (!fs::is_directory(package_path, ec))
        throw Error(ErrorCode::InvalidModel, "model package '" + package_path + "' is not a directory");
    const fs::path manifest_path = fs::path(package_path) / kManifest;
    if (!fs::exists(manifest_path, ec))
        throw Error(ErrorCode::InvalidModel, "model package '" + package_path + "' has no Manifest.json");

    json manifest;
    try {
        manifest = json::parse(fsutil::read_file(manifest_path.string(), "manifest"));
    } catch (const json::exception& e) {
        bad_manifest(package_path, std::string("not valid JSON (") + e.what() + ")");
    }
    if (!manifest.is_object()) bad_manifest(package_path, "the top level is not a JSON object");
    if (!manifest.contains("fileFormatVersion")) bad_manifest(package_path, "'fileFormatVersion' is missing");
    check_format_version(package_path, manifest["fileFormatVersion"]);

    auto entries = manifest.find("itemInfoEntries");
    if (entries == manifest.end() || !entries->is_object())
        bad_manifest(package_path, "'itemInfoEntries' is missing or not an object");
    const fs::path data_dir = fs::path(package_path) / "Data";
    for (const auto& [id, entry] : entries->items()) {
        if (!entry.is_object()) bad_manifest(package_path, "item '" + id + "' is not an object");
        PackageItem item{id, string_field(package_path, id, entry, "path"), string_field(package_path, id, entry, "name"),
                         string_field(package_path, id, entry, "author"),
                         string_field(package_path, id, entry, "description")};
        if (item.path.empty() || fs::path(item.path).is_absolute() || item.path.find("..") != std::string::npos)
            bad_manifest(package_path, "item '" + id + "' has an invalid path \"" + item.path + "\"");
        pkg.items_.emplace(id, std::move(item));
    }
    auto root = manifest.find("rootModelIdentifier");
    if (root == manifest.end() || !root->is_string())
        bad_manifest(package_path, "'rootModelIdentifier' is missing or not a string");
    pkg.root_identifier_ = root->get<std::string>();
    if (!pkg.items_.count(pkg.root_identifier_))
        bad_manifest(package_path, "'rootModelIdentifier' " + pkg.root_identifier_ + " names no item");
    // Only the root model must exist: archives and git drop empty folders, so an ML program
    // without weights often arrives without its (empty) weights item. A weight reference
    // into a missing folder is reported by the spec validation, naming the op.
    const fs::path root_path = data_dir / pkg.root_model().path;
    if (!fs::exists(root_path, ec))
        throw Error(ErrorCode::InvalidModel, "model package '" + package_path + "': the root model item points at '" +
                                                 root_path.string() + "', which does not exist");
    if (fs::is_directory(root_path, ec)) bad_manifest(package_path, "the root model item is a directory");
    return pkg;
}

const PackageItem& ModelPackage::root_model() const { return items_.at(root_identifier_); }

std::string ModelPackage::root_model_path() const {
    return (fs::path(path_) / "Data" / root_model().path).string();
}

std::optional<PackageItem> ModelPackage::find_item(const std::string& name, const std::string& author) const {
    for (const auto& [id, item] : items_)
        if (item.name == name && item.author == author) return item;
    return std::nullopt;
}

std::optional<std::string> ModelPackage::weights_path() const {
    auto item = find_item(kWeightsName, kAuthor);
    if (!item) return std::nullopt;
    const fs::path dir = fs::path(path_) / "Data" / item->path;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return std::nullopt;
    return dir.string();
}

void ModelPackage::write(const std::string& package_path, const std::string& model_bytes,
                         const std::string& weights_dir, const std::string& extra_files_from) {
    const fs::path target = fs::absolute(package_path);
    std::error_code ec;
    if (fs::exists(target, ec) && !fs::is_directory(target, ec))
        throw Error(ErrorCode::Io, "cannot save a package to '" + package_path + "': a file of that name exists");
    const fs::path staged = fsutil::sibling_temp_path(target, "saving");
    try {
        std::map<std::string, PackageItem> items;
        std::string root_id;
        if (!extra_files_from.empty()) {
            // Re-saving a loaded package: keep every item and extra file it had.
            ModelPackage source = open(extra_files_from);
            copy_tree(extra_files_from, staged, staged);
            items = source.items_;
            root_id = source.root_identifier_;
        } else {
            fs::create_directories(staged / "Data");
            root_id = fsutil::new_uuid();
            items[root_id] = {root_id, std::string(kAuthor) + "/" + kModelName, kModelName, kAuthor,
                              "CoreML Model Specification"};
        }
        const fs::path model_path = staged / "Data" / items.at(root_id).path;
        fs::create_directories(model_path.parent_path());
        fsutil::write_file_atomic(model_path.string(), model_bytes);

        if (!weights_dir.empty()) {
            std::string weights_rel = std::string(kAuthor) + "/" + kWeightsName;
            bool have_item = false;
            for (const auto& [id, item] : items)
                if (item.name == kWeightsName && item.author == kAuthor) { weights_rel = item.path; have_item = true; }
            const fs::path dest = staged / "Data" / weights_rel;
            if (!fs::exists(weights_dir, ec))
                throw Error(ErrorCode::NotFound, "weights directory '" + weights_dir + "' does not exist");
            if (!fs::exists(dest, ec) || !fs::equivalent(weights_dir, dest, ec)) {
                fs::remove_all(dest, ec);
                fs::create_directories(dest.parent_path());
                copy_tree(weights_dir, dest, staged);
            }
            if (!have_item) {
                const std::string id = fsutil::new_uuid();
                items[id] = {id, weights_rel, kWeightsName, kAuthor, "CoreML Model Weights"};
            }
        }
        fsutil::write_file_atomic((staged / kManifest).string(), manifest_json(items, root_id).dump(4) + "\n");
        replace_directory(staged, target);
    } catch (...) {
        fs::remove_all(staged, ec);
        throw;
    }
}

}  // namespace opencoreml
