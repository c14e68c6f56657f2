"""ONNX graphs (built by hand with onnx.helper, opset 17) for the statistics baselines.

Inputs (batch of one utterance):  mfcc [1, T, C] float32 (C = 13 by default), vad [1, T] float32 (1 = speech),
ms_stats [1, S] float32 (the C# utterance statistics of the MS frames), and with prosody
prosody_stats [1, P] float32 (the C# prosody functionals).  T is dynamic.
The graph recomputes training/stats.py exactly, standardises with the training constants,
selects the chosen columns, and applies the classifier:
  MLR: scores = x W + b;  SVM: scores_c = sum_i coef_ic exp(-gamma ||x - sv_i||^2) + b_c.
Outputs: "scores" [1, K] and "probabilities" [1, K] = softmax(scores).
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class G:
    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def const(self, value, dtype=np.float32):
        self.n += 1
        name = f"c{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type, inputs, **attrs):
        self.n += 1
        out = f"t{self.n}_{op_type}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _mfcc_block(g, mfcc, vad):
    x = g.op("Squeeze", [mfcc, g.const([0], np.int64)])                 # [T,C]
    v = g.op("Reshape", [vad, g.const([-1, 1], np.int64)])              # [T,1]
    ax0 = g.const([0], np.int64)
    cnt = g.op("ReduceSum", [v, ax0], keepdims=1)                       # [1,1]
    few = g.op("Less", [cnt, g.const([[2.0]])])
    m = g.op("Where", [few, g.const([[1.0]]), v])                       # [T,1]
    n = g.op("ReduceSum", [m, ax0], keepdims=1)

    def masked_mean_std(z):
        mean = g.op("Div", [g.op("ReduceSum", [g.op("Mul", [z, m]), ax0], keepdims=1), n])
        dev = g.op("Mul", [g.op("Sub", [z, mean]), m])
        var = g.op("Div", [g.op("ReduceSum", [g.op("Mul", [dev, dev]), ax0], keepdims=1), n])
        return mean, g.op("Sqrt", [var])

    mean, std = masked_mean_std(x)
    mb = g.op("Greater", [m, g.const([[0.5]])])
    mx = g.op("ReduceMax", [g.op("Where", [mb, x, g.const([[-1e9]])])], axes=[0], keepdims=1)
    mn = g.op("ReduceMin", [g.op("Where", [mb, x, g.const([[1e9]])])], axes=[0], keepdims=1)
    first = g.op("Slice", [x, g.const([0], np.int64), g.const([1], np.int64), ax0])
    last = g.op("Slice", [x, g.const([-1], np.int64), g.const([np.iinfo(np.int64).max], np.int64), ax0])
    p = g.op("Concat", [first, x, last], axis=0)                        # [T+2,C]
    big = g.const([np.iinfo(np.int64).max], np.int64)
    nxt = g.op("Slice", [p, g.const([2], np.int64), big, ax0])
    prv = g.op("Slice", [p, g.const([0], np.int64), g.const([-2], np.int64), ax0])
    d = g.op("Mul", [g.op("Sub", [nxt, prv]), g.const(0.5)])
    _, dstd = masked_mean_std(d)
    return [mean, std, mn, mx, dstd]


def _ms_block(g, ms_stats):
    return [ms_stats]


def build(kind, pipe, feature_set, dims, labels, doc="", prosody=False):
    """pipe: dict from baselines.fit_fold (std, cols, model). dims: {'F': A*M, 'S': S, 'P': P, 'C': MFCCs per frame}."""
    g = G()
    inputs, parts = [], []
    if feature_set in ("all", "mfcc"):
        inputs += [helper.make_tensor_value_info("mfcc", TensorProto.FLOAT, [1, "frames", dims.get("C", 13)]),
                   helper.make_tensor_value_info("vad", TensorProto.FLOAT, [1, "frames"])]
        parts += _mfcc_block(g, "mfcc", "vad")
    if feature_set in ("all", "ms"):
        inputs += [helper.make_tensor_value_info("ms_stats", TensorProto.FLOAT, [1, dims["S"]])]
        parts += _ms_block(g, "ms_stats")
    if prosody:
        inputs += [helper.make_tensor_value_info("prosody_stats", TensorProto.FLOAT, [1, dims["P"]])]
        parts += ["prosody_stats"]
    x = g.op("Concat", parts, axis=1)                                   # [1,D]
    x = g.op("Mul", [g.op("Sub", [x, g.const(pipe["std"].mean[None])]), g.const(1.0 / pipe["std"].std[None])])
    x = g.op("Gather", [x, g.const(pipe["cols"], np.int64)], axis=1)
    mdl = pipe["model"]
    if kind == "mlr":
        scores = g.op("Add", [g.op("MatMul", [x, g.const(mdl.W)]), g.const(mdl.b)])
    else:
        x2 = g.op("ReduceSum", [g.op("Mul", [x, x]), g.const([1], np.int64)], keepdims=1)   # [1,1]
        xs = g.op("MatMul", [x, g.const(mdl.sv.T)])                                       # [1,nSV]
        d2 = g.op("Add", [g.op("Sub", [x2, g.op("Mul", [xs, g.const(2.0)])]), g.const((mdl.sv ** 2).sum(1)[None])])
        d2 = g.op("Relu", [d2])
        k = g.op("Exp", [g.op("Mul", [d2, g.const(-mdl.gamma)])])
        scores = g.op("Add", [g.op("MatMul", [k, g.const(mdl.coef)]), g.const(mdl.b)])
    g.nodes.append(helper.make_node("Identity", [scores], ["scores"]))
    g.nodes.append(helper.make_node("Softmax", ["scores"], ["probabilities"], axis=1))
    K = len(labels)
    graph = helper.make_graph(g.nodes, f"rtser_{kind}", inputs,
                              [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, K]),
                               helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, K])],
                              g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="rtser-training",
                              doc_string=doc)
    model.ir_version = 8
    helper.set_model_props(model, {"labels": ",".join(labels)})
    onnx.checker.check_model(model)
    return model
