// opencoreml: the one exception type the core throws, with a code the bindings map to
// Python exception classes. Messages always name the file, feature, layer or op at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace opencoreml {

enum class ErrorCode {
    InvalidArgument,     // caller passed something malformed (bad shape, dtype, name)
    NotFound,            // a file or item that should exist does not
    InvalidModel,        // the model file or package is corrupt or inconsistent
    UnsupportedVersion,  // spec or format version newer than this build supports
    BlobStorage,         // weight file (weight.bin) is malformed or an offset is wrong
    Io,                  // reading or writing the file system failed
    NotImplemented,      // valid model, but this build cannot run that part yet
};

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

private:
    ErrorCode code_;
};

}  // namespace opencoreml
