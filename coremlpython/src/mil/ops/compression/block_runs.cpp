// opencoreml ML program compression ops: parameter shapes for block runs (see block_runs.hpp).
#include "mil/ops/compression/block_runs.hpp"

namespace opencoreml::mil::compression {

Shape per_axis_param_shape(const Shape& data_shape, const Shape& param_shape, int64_t axis, bool& ok) {
    Shape shape(data_shape.size(), 1);
    ok = true;
    const int64_t size = shape_numel(param_shape);
    if (param_shape.empty() || (size == 1 && param_shape.size() == 1)) return shape;  // one value for all
    const int64_t rank = static_cast<int64_t>(data_shape.size());
    if (axis < 0) axis += rank;
    if (param_shape.size() != 1 || axis < 0 || axis >= rank || data_shape[axis] != size) {
        ok = false;
        return shape;
    }
    shape[axis] = size;
    return shape;
}

bool divides(const Shape& data_shape, const Shape& param_shape) {
    if (data_shape.size() != param_shape.size()) return false;
    for (size_t d = 0; d < data_shape.size(); ++d) {
        if (param_shape[d] <= 0) return data_shape[d] == 0 && param_shape[d] == 0;
        if (data_shape[d] % param_shape[d] != 0) return false;
    }
    return true;
}

}  // namespace opencoreml::mil::compression
