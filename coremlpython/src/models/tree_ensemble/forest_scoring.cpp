// opencoreml tree ensembles: walking a CompiledForest over blocks of rows, a group of trees
// at a time. The comparison is a template parameter: a forest whose branches all use one
// SplitOp (nearly every converted model) gets a walk with no dispatch at all; mixed forests
// decode the op per node.
#include <algorithm>

#include "models/tree_ensemble/forest.hpp"

namespace opencoreml::models::trees {

namespace {

template <SplitOp Op>
struct FixedOp {
    static bool pass(uint32_t, double x, double t) {
        if constexpr (Op == SplitOp::Less) return x < t;
        if constexpr (Op == SplitOp::LessEqual) return x <= t;
        if constexpr (Op == SplitOp::Greater) return x > t;
        if constexpr (Op == SplitOp::GreaterEqual) return x >= t;
        if constexpr (Op == SplitOp::Equal) return x == t;
        if constexpr (Op == SplitOp::NotEqualOrdered) return x < t || x > t;
    }
};

// Mixed forests: classify x against t as less (1), equal (2) or greater (4) — none for
// NaN — and look the op's accepted outcomes up in a packed table, three bits per op (the
// leaf op 7 accepts nothing). No branch on the op.
struct NodeOp {
    static constexpr uint32_t accepts(SplitOp op) {
        switch (op) {
            case SplitOp::Less: return 1;
            case SplitOp::LessEqual: return 3;
            case SplitOp::Greater: return 4;
            case SplitOp::GreaterEqual: return 6;
            case SplitOp::Equal: return 2;
            case SplitOp::NotEqualOrdered: return 5;
        }
        return 0;
    }
    static constexpr uint32_t table() {
        uint32_t t = 0;
        for (int op = 0; op < kSplitOpCount; ++op) t |= accepts(static_cast<SplitOp>(op)) << (3 * op);
        return t;
    }
    static bool pass(uint32_t feature_word, double x, double t) {
        const uint32_t outcome = uint32_t(x < t) | uint32_t(x == t) << 1 | uint32_t(x > t) << 2;
        return (table() >> (3 * (feature_word >> kOpShift))) & outcome;
    }
};

// One step down from node `at`. The next index is picked with a mask rather than a
// branch: which way a split goes is data, so a branch would mispredict about half the time.
template <class Op>
inline uint32_t step(const Node* nodes, uint32_t at, const double* row) {
    const Node& n = nodes[at];
    const uint32_t pass = 0u - static_cast<uint32_t>(Op::pass(n.feature, row[n.feature & kColumnMask], n.threshold));
    return ((at + 1) & pass) | (n.other & ~pass);
}

template <class Op>
inline uint32_t walk_to_leaf(const Node* nodes, uint32_t root, const double* row) {
    uint32_t at = root;
    while (nodes[at].feature != kLeafWord) at = step<Op>(nodes, at, row);
    return at;
}

// Rows visited per tree group before moving to the next group: keeps a group's nodes hot
// in cache for a whole block while the block's rows and scores stay in L1.
constexpr size_t kBlockRows = 64;

// Calls add(leaf) for each of the trees, in tree order, with the leaf `row` reaches there.
// Count is the number of trees when known at compile time (a full group), else 0.
template <class Op, uint32_t Count, class Add>
inline void walk_fixed_group(const Node* nodes, const TreeRef* trees, uint32_t count, uint32_t steps, const double* row,
                             Add&& add) {
    const uint32_t n = Count ? Count : count;
    uint32_t at[kGroupTrees];
    for (uint32_t k = 0; k < n; ++k) at[k] = trees[k].root;
    for (uint32_t d = 0; d < steps; ++d)
        for (uint32_t k = 0; k < n; ++k) at[k] = step<Op>(nodes, at[k], row);
    for (uint32_t k = 0; k < n; ++k) add(at[k]);
}

template <class Op, class Add>
inline void walk_group(const Node* nodes, const TreeRef* trees, const TreeGroup& g, const double* row, Add&& add) {
    if (!g.fixed_steps) {
        add(walk_to_leaf<Op>(nodes, trees[g.first].root, row));
    } else if (g.count == kGroupTrees) {
        walk_fixed_group<Op, kGroupTrees>(nodes, trees + g.first, g.count, g.steps, row, add);
    } else {
        walk_fixed_group<Op, 0>(nodes, trees + g.first, g.count, g.steps, row, add);
    }
}

template <class Op>
void score_with(const CompiledForest& f, const double* rows, size_t n_rows, size_t stride, double* scores) {
    const Node* nodes = f.nodes.data();
    const TreeRef* trees = f.trees.data();
    const size_t dims = f.dimensions;
    for (size_t begin = 0; begin < n_rows; begin += kBlockRows) {
        const size_t end = std::min(n_rows, begin + kBlockRows);
        for (const TreeGroup& g : f.groups) {
            for (size_t r = begin; r < end; ++r) {
                const double* row = rows + r * stride;
                if (f.single_output) {
                    const double* values = f.leaf_value.data();
                    double sum = scores[r];
                    walk_group<Op>(nodes, trees, g, row, [&](uint32_t leaf) { sum += values[leaf]; });
                    scores[r] = sum;
                } else {
                    double* out = scores + r * dims;
                    walk_group<Op>(nodes, trees, g, row, [&](uint32_t leaf) {
                        for (uint32_t e = f.leaf_begin[leaf]; e < f.leaf_begin[leaf + 1]; ++e)
                            out[f.leaf_entries[e].dimension] += f.leaf_entries[e].value;
                    });
                }
            }
        }
    }
}

}  // namespace

void accumulate_scores(const CompiledForest& f, const double* rows, size_t n_rows, size_t row_stride, double* scores) {
    if (!f.single_op) return score_with<NodeOp>(f, rows, n_rows, row_stride, scores);
    switch (f.op) {
        case SplitOp::Less: return score_with<FixedOp<SplitOp::Less>>(f, rows, n_rows, row_stride, scores);
        case SplitOp::LessEqual: return score_with<FixedOp<SplitOp::LessEqual>>(f, rows, n_rows, row_stride, scores);
        case SplitOp::Greater: return score_with<FixedOp<SplitOp::Greater>>(f, rows, n_rows, row_stride, scores);
        case SplitOp::GreaterEqual: return score_with<FixedOp<SplitOp::GreaterEqual>>(f, rows, n_rows, row_stride, scores);
        case SplitOp::Equal: return score_with<FixedOp<SplitOp::Equal>>(f, rows, n_rows, row_stride, scores);
        case SplitOp::NotEqualOrdered:
            return score_with<FixedOp<SplitOp::NotEqualOrdered>>(f, rows, n_rows, row_stride, scores);
    }
}

}  // namespace opencoreml::models::trees
