// opencoreml ML program ops: reading run-time shape and scalar inputs (fill's and the
// random ops' `shape`, range_1d's start/end/step) with errors naming the parameter.
#pragma once

#include <string>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

// A rank-1 (or rank-0) integer tensor of non-negative dims.
Shape shape_from_input(RunContext& ctx, const std::string& param);

// A single-element numeric tensor as double / as int64.
double scalar_input(RunContext& ctx, const std::string& param);
int64_t int_scalar_input(RunContext& ctx, const std::string& param);

}  // namespace opencoreml::mil
