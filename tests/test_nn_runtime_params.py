"""Layer parameters given as run-time inputs: sliceDynamic with strides and masks as inputs
(numpy slicing references, exact), NonMaximumSuppression with the IoU threshold, score
threshold and box count as inputs (the reference of test_nn_index_layers, exact)."""
import numpy as np
import pytest

from nn_runner import check, nn_model, rand
from test_nn_index_layers import nms_ref

X = rand(5, 6, 4, seed=3)


def f32(*values):
    return np.array(values, np.float32)


def slice_model(n_inputs, squeeze_param=None):
    names = ["x", "begin", "end", "stride", "begin_mask", "end_mask", "squeeze_mask"][:n_inputs]
    inputs = {"x": X, **{n: (3,) for n in names[1:]}}
    return nn_model(lambda b: b.add_slice_dynamic("s", names, "y", squeeze_masks=squeeze_param), inputs, rank5=False)


SLICES = [  # begin, end, stride, begin mask, end mask, squeeze mask -> reference
    ((1, 0, 0), (4, 6, 4), (2, 3, 1), (0, 0, 0), (0, 0, 0), (0, 0, 0), lambda x: x[1:4:2, 0:6:3, 0:4]),
    ((-1, 5, 3), (0, 0, 0), (-1, -2, -1), (0, 0, 0), (1, 1, 1), (0, 0, 0), lambda x: x[::-1, 5::-2, 3::-1]),
    ((3, 2, 1), (5, 0, 3), (1, 1, 1), (1, 0, 0), (0, 1, 0), (0, 0, 0), lambda x: x[:5, 2:, 1:3]),
    ((-2, 1, 0), (0, 5, 4), (1, 2, 2), (0, 0, 1), (1, 0, 1), (0, 0, 0), lambda x: x[-2:, 1:5:2, ::2]),
]


@pytest.mark.parametrize("case", range(len(SLICES)))
def test_slice_dynamic_strides_and_masks_as_inputs(case):
    begin, end, stride, bm, em, sm, ref = SLICES[case]
    values = [f32(*v) for v in (begin, end, stride, bm, em, sm)]
    model = slice_model(7)
    feed = dict(zip(["begin", "end", "stride", "begin_mask", "end_mask", "squeeze_mask"], values))
    check(model.predict({"x": X, **feed})["y"], ref(X.astype(np.float64)), rtol=0, atol=0)
    # Only strides as an input: the masks come from the (default) parameters.
    if not any(bm) and not any(em):
        out = slice_model(4).predict({"x": X, "begin": values[0], "end": values[1], "stride": values[2]})["y"]
        check(out, ref(X.astype(np.float64)), rtol=0, atol=0)


def test_slice_dynamic_squeeze_mask_input():
    model = slice_model(7, squeeze_param=[False, True, False])
    feed = {"x": X, "begin": f32(1, 2, 0), "end": f32(4, 0, 4), "stride": f32(1, 1, 2), "begin_mask": f32(0, 0, 0),
            "end_mask": f32(0, 0, 0), "squeeze_mask": f32(0, 1, 0)}
    check(model.predict(feed)["y"], X[1:4, 2, 0:4:2], rtol=0, atol=0)
    # A run-time squeeze mask that changes the rank the model was loaded for is an error.
    with pytest.raises(Exception, match="'s'.*squeeze masks leave rank 1 but the model was loaded for rank 2"):
        model.predict({**feed, "squeeze_mask": f32(1, 1, 0)})
    with pytest.raises(Exception, match="'s'.*strides must not be 0"):
        model.predict({**feed, "stride": f32(1, 0, 1)})


BOXES = np.array([[[0.5, 0.5, 1.0, 1.0], [0.55, 0.5, 1.0, 1.0], [2.0, 2.0, 1.0, 1.0], [2.1, 2.0, 0.5, 0.5],
                   [5.0, 5.0, 1.0, 1.0]]], np.float32)
SCORES = np.array([[[0.9, 0.1], [0.8, 0.3], [0.2, 0.7], [0.6, 0.1], [0.1, 0.2]]], np.float32)


@pytest.mark.parametrize("iou,score,max_boxes", [(0.4, 0.3, 4), (0.9, 0.0, 5), (0.4, 0.99, 2), (0.1, 0.15, 1)])
def test_nms_thresholds_and_box_count_as_inputs(iou, score, max_boxes):
    names = ("b", "s", "i", "n")
    inputs = {"boxes": BOXES, "scores": SCORES, "iou": (1,), "score": (1,), "count": (1,)}
    model = nn_model(lambda b: b.add_nms("nms", ["boxes", "scores", "iou", "score", "count"], list(names),
                                         iou_threshold=0.01, score_threshold=0.5, max_boxes=3),
                     inputs, outputs=names, rank5=False)
    out = model.predict({"boxes": BOXES, "scores": SCORES, "iou": f32(iou), "score": f32(score), "count": f32(max_boxes)})
    rb, rs, ri, rn = nms_ref(BOXES[0], SCORES[0], iou, score, max_boxes)
    check(out["b"], rb[None], rtol=0, atol=0)
    check(out["s"], rs[None], rtol=0, atol=0)
    check(out["i"], ri[None], rtol=0, atol=0)
    check(out["n"], [rn], rtol=0, atol=0)


def test_nms_iou_threshold_input_only():
    names = ("b", "s", "i", "n")
    model = nn_model(lambda b: b.add_nms("nms", ["boxes", "scores", "iou"], list(names), iou_threshold=0.01,
                                         score_threshold=0.3, max_boxes=4),
                     {"boxes": BOXES, "scores": SCORES, "iou": (1,)}, outputs=names, rank5=False)
    for iou in (0.4, 0.95):
        out = model.predict({"boxes": BOXES, "scores": SCORES, "iou": f32(iou)})
        rb, rs, ri, rn = nms_ref(BOXES[0], SCORES[0], iou, 0.3, 4)
        check(out["i"], ri[None], rtol=0, atol=0)
        check(out["b"], rb[None], rtol=0, atol=0)
        check(out["n"], [rn], rtol=0, atol=0)
    with pytest.raises(Exception, match="nms.*must hold one value"):
        nn_model(lambda b: b.add_nms("nms", ["boxes", "scores", "iou"], list(names)),
                 {"boxes": BOXES, "scores": SCORES, "iou": (2,)}, outputs=names, rank5=False).predict(
            {"boxes": BOXES, "scores": SCORES, "iou": f32(0.5, 0.5)})


def test_run_time_parameters_that_are_not_numbers_are_errors():
    model = slice_model(4)
    feed = {"x": X, "begin": f32(0, 0, 0), "end": f32(2, 2, 2), "stride": f32(1, np.nan, 1)}
    with pytest.raises(Exception, match="'s'.*stride holds nan"):
        model.predict(feed)
    names = ("b", "s", "i", "n")
    model = nn_model(lambda b: b.add_nms("nms", ["boxes", "scores", "iou", "score", "count"], list(names)),
                     {"boxes": BOXES, "scores": SCORES, "iou": (1,), "score": (1,), "count": (1,)}, outputs=names, rank5=False)
    for count in (np.nan, -1.0, 1e12):
        with pytest.raises(Exception, match="'nms'.*maximum number of boxes must be between 0 and 1e8"):
            model.predict({"boxes": BOXES, "scores": SCORES, "iou": f32(0.5), "score": f32(0.1), "count": f32(count)})
