// opencoreml format layer: POSIX implementation of MappedFile (open, fstat, mmap, munmap).
#include "opencoreml/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "opencoreml/error.hpp"

namespace opencoreml {

namespace {

std::string quoted(const char* what, const std::string& path) { return std::string(what) + " '" + path + "'"; }

// Closes the descriptor on every exit path; the mapping outlives it.
struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path, const char* what) {
    return std::make_shared<const MappedFile>(path, what);
}

MappedFile::MappedFile(const std::string& path, const char* what) : path_(path) {
    int fd;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR)
            throw Error(ErrorCode::NotFound, quoted(what, path) + " does not exist");
        throw Error(ErrorCode::Io, "cannot open " + quoted(what, path) + ": " + std::strerror(err));
    }
    FdCloser closer{fd};

    struct stat st {};
    if (::fstat(fd, &st) != 0)
        throw Error(ErrorCode::Io, "cannot stat " + quoted(what, path) + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw Error(ErrorCode::Io, quoted(what, path) + " is a directory, expected a file");
    if (!S_ISREG(st.st_mode)) throw Error(ErrorCode::Io, quoted(what, path) + " is not a regular file");
    if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > static_cast<uint64_t>(SIZE_MAX))
        throw Error(ErrorCode::Io, quoted(what, path) + " is too large to map");

    size_ = static_cast<size_t>(st.st_size);
    // mmap rejects a zero length, and an empty file has nothing to view anyway.
    if (size_ == 0) return;

    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        throw Error(ErrorCode::Io, "cannot memory-map " + quoted(what, path) + ": " + std::strerror(errno));
    data_ = static_cast<const uint8_t*>(p);
}

MappedFile::~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace opencoreml
