// opencoreml format layer: a whole file mapped read-only into memory, shared by whoever
// holds views into it (weight blobs handed to kernels or to numpy keep it alive).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace opencoreml {

class MappedFile {
public:
    // Maps `path` read-only. `what` describes the file in error messages ("weight file").
    // Throws opencoreml::Error: NotFound if the file does not exist, Io for any other OS
    // failure (the message names the path and the OS error).
    static std::shared_ptr<const MappedFile> open(const std::string& path, const char* what = "file");

    explicit MappedFile(const std::string& path, const char* what = "file");
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    // Null for an empty file (nothing is mapped then).
    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace opencoreml
