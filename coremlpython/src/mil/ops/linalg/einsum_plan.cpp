// opencoreml ML program ops: plan_einsum (see einsum_plan.hpp).
#include "mil/ops/linalg/einsum_plan.hpp"

#include <algorithm>
#include <cctype>

namespace opencoreml::mil {
namespace {

bool split_terms(std::string eq, std::string& x, std::string& y, std::string& out, bool& explicit_out,
                 std::string& error) {
    eq.erase(std::remove_if(eq.begin(), eq.end(), [](unsigned char c) { return std::isspace(c); }), eq.end());
    const size_t arrow = eq.find("->");
    explicit_out = arrow != std::string::npos;
    const std::string lhs = explicit_out ? eq.substr(0, arrow) : eq;
    out = explicit_out ? eq.substr(arrow + 2) : "";
    const size_t comma = lhs.find(',');
    if (comma == std::string::npos || lhs.find(',', comma + 1) != std::string::npos) {
        error = "equation '" + eq + "' must have exactly two operands";
        return false;
    }
    x = lhs.substr(0, comma);
    y = lhs.substr(comma + 1);
    for (const std::string* term : {&x, &y, &out}) {
        for (size_t i = 0; i < term->size(); ++i) {
            const char c = (*term)[i];
            if (!std::isalpha(static_cast<unsigned char>(c))) {
                error = "equation '" + eq + "': only letter labels are supported (no '...')";
                return false;
            }
            if (term->find(c, i + 1) != std::string::npos) {
                error = "equation '" + eq + "': label '" + std::string(1, c) + "' repeats within one term";
                return false;
            }
        }
    }
    return true;
}

}  // namespace

bool plan_einsum(const std::string& equation, EinsumPlan& plan, std::string& error) {
    std::string x, y, out;
    bool explicit_out = false;
    if (!split_terms(equation, x, y, out, explicit_out, error)) return false;
    if (!explicit_out) {
        for (char c : x + y)
            if ((x + y).find(c) == (x + y).rfind(c)) out += c;
        std::sort(out.begin(), out.end());
    }
    std::string batch, m, n, k;
    for (char c : out) {
        const bool in_x = x.find(c) != std::string::npos, in_y = y.find(c) != std::string::npos;
        if (!in_x && !in_y) {
            error = "equation '" + equation + "': output label '" + std::string(1, c) + "' is in neither input";
            return false;
        }
        (in_x && in_y ? batch : in_x ? m : n) += c;
    }
    for (char c : x + y) {
        if (out.find(c) != std::string::npos) continue;
        if (x.find(c) == std::string::npos || y.find(c) == std::string::npos) {
            error = "equation '" + equation + "': label '" + std::string(1, c) +
                    "' is summed within one input, which is not a matrix product";
            return false;
        }
        if (k.find(c) == std::string::npos) k += c;  // contracted, in x's order
    }
    plan = EinsumPlan{};
    plan.x_rank = x.size(), plan.y_rank = y.size();
    plan.batch = batch.size(), plan.m = m.size(), plan.k = k.size(), plan.n = n.size();
    for (char c : batch + m + k) plan.x_perm.push_back(static_cast<int64_t>(x.find(c)));
    for (char c : batch + k + n) plan.y_perm.push_back(static_cast<int64_t>(y.find(c)));
    const std::string product = batch + m + n;
    for (char c : out) plan.out_perm.push_back(static_cast<int64_t>(product.find(c)));
    return true;
}

}  // namespace opencoreml::mil
