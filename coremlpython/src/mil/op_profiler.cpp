// opencoreml ML programs: OpProfiler (see op_profiler.hpp).
#include "mil/op_profiler.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace opencoreml::mil {

std::unique_ptr<OpProfiler> OpProfiler::from_environment(const std::string& origin) {
    const char* flag = std::getenv("OPENCOREML_PROFILE");
    if (!flag || !*flag || std::string(flag) == "0") return nullptr;
    return std::make_unique<OpProfiler>(origin, std::string(flag) == "all");
}

void OpProfiler::record(const std::string& type, const std::string& name, int64_t nanoseconds) {
    std::lock_guard<std::mutex> lock(mutex_);
    Totals& t = by_type_[type];
    ++t.calls, t.nanoseconds += nanoseconds;
    Totals& o = by_op_[name + " (" + type + ")"];
    ++o.calls, o.nanoseconds += nanoseconds;
}

namespace {

using Row = std::pair<std::string, std::pair<int64_t, int64_t>>;  // label, (calls, ns)

template <typename Map>
std::vector<Row> sorted_by_time(const Map& map) {
    std::vector<Row> rows;
    for (const auto& [label, t] : map) rows.push_back({label, {t.calls, t.nanoseconds}});
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.second.second > b.second.second; });
    return rows;
}

}  // namespace

OpProfiler::~OpProfiler() {
    int64_t total = 0;
    for (const auto& [type, t] : by_type_) total += t.nanoseconds;
    if (total == 0) return;
    std::fprintf(stderr, "opencoreml profile of %s: %.3f ms in ops\n", origin_.c_str(), total / 1e6);
    std::fprintf(stderr, "  %-32s %10s %12s %7s\n", "op type", "calls", "ms", "%");
    for (const auto& [label, ct] : sorted_by_time(by_type_))
        std::fprintf(stderr, "  %-32s %10lld %12.3f %6.1f%%\n", label.c_str(), static_cast<long long>(ct.first),
                     ct.second / 1e6, 100.0 * ct.second / total);
    const auto ops = sorted_by_time(by_op_);
    std::fprintf(stderr, "  slowest ops:\n");
    for (size_t i = 0; i < ops.size() && (every_op_ || i < 15); ++i)
        std::fprintf(stderr, "  %-60s %8lld %10.3f ms %6.1f%%\n", ops[i].first.c_str(),
                     static_cast<long long>(ops[i].second.first), ops[i].second.second / 1e6,
                     100.0 * ops[i].second.second / total);
}

}  // namespace opencoreml::mil
