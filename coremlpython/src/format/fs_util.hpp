// opencoreml format layer: small file-system helpers with errors that name the path.
#pragma once

#include <filesystem>
#include <string>

namespace opencoreml::fsutil {

namespace fs = std::filesystem;

std::string read_file(const std::string& path, const char* what);
// Writes `data` to a temporary file beside `path`, then renames it over `path`.
void write_file_atomic(const std::string& path, const std::string& data);
// A fresh, unused path next to `path` (same directory, so rename stays on one file system).
fs::path sibling_temp_path(const fs::path& path, const char* tag);
std::string new_uuid();

}  // namespace opencoreml::fsutil
