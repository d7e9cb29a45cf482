// opencoreml format layer: file-system helpers (whole-file read, atomic write, temp names).
#include "format/fs_util.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "opencoreml/error.hpp"

namespace opencoreml::fsutil {

std::string read_file(const std::string& path, const char* what) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(ErrorCode::NotFound, std::string(what) + " '" + path + "' does not exist");
    if (fs::is_directory(path, ec))
        throw Error(ErrorCode::InvalidModel, std::string(what) + " '" + path + "' is a directory, expected a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::Io, "cannot open " + std::string(what) + " '" + path + "': " + std::strerror(errno));
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad()) throw Error(ErrorCode::Io, "error reading " + std::string(what) + " '" + path + "'");
    return buf.str();
}

std::string new_uuid() {
    static thread_local std::mt19937_64 rng(std::random_device{}());
    const char* hex = "0123456789ABCDEF";
    std::string s;
    for (int i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
        int v = static_cast<int>(rng() & 15u);
        if (i == 12) v = 4;                       // version 4
        if (i == 16) v = 8 | (v & 3);             // RFC 4122 variant
        s += hex[v];
    }
    return s;
}

fs::path sibling_temp_path(const fs::path& path, const char* tag) {
    fs::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    return dir / ("." + path.filename().string() + "." + tag + "-" + new_uuid());
}

void write_file_atomic(const std::string& path, const std::string& data) {
    const fs::path target(path);
    const fs::path tmp = sibling_temp_path(target, "tmp");
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(ErrorCode::Io, "cannot write '" + tmp.string() + "': " + std::strerror(errno));
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
        out.flush();
        if (!out) {
            std::error_code ec;
            fs::remove(tmp, ec);
            throw Error(ErrorCode::Io, "error writing '" + path + "'");
        }
    }
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw Error(ErrorCode::Io, "cannot replace '" + path + "': " + ec.message());
    }
}

}  // namespace opencoreml::fsutil
