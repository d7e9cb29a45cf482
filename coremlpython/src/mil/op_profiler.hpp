// opencoreml ML programs: an opt-in per-op timer for finding where a model spends its time.
// Set OPENCOREML_PROFILE=1 and every loaded ML program (or neural network) times each op it
// runs; when the model is unloaded, a table per op type and the 15 slowest ops (every op
// with OPENCOREML_PROFILE=all) go to stderr.
// Off by default: then the executor pays one null-pointer check per op.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace opencoreml::mil {

class OpProfiler {
public:
    OpProfiler(std::string origin, bool every_op) : origin_(std::move(origin)), every_op_(every_op) {}
    ~OpProfiler();  // prints the report
    OpProfiler(const OpProfiler&) = delete;
    OpProfiler& operator=(const OpProfiler&) = delete;

    // A profiler when OPENCOREML_PROFILE is set to something other than "0", else null.
    static std::unique_ptr<OpProfiler> from_environment(const std::string& origin);

    void record(const std::string& type, const std::string& name, int64_t nanoseconds);

private:
    struct Totals {
        int64_t calls = 0, nanoseconds = 0;
    };
    std::string origin_;
    bool every_op_;
    std::mutex mutex_;
    std::map<std::string, Totals> by_type_, by_op_;
};

}  // namespace opencoreml::mil
