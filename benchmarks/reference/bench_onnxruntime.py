# ONNX Runtime reference for the inference cases of `tlab bench models`: the model export_onnx.py
# wrote, one session with `threads` intra-op threads (inter-op 1, sequential execution, all graph
# optimisations: what a new user gets by setting the thread count).
import onnxruntime as ort

from inference_case import arguments, time_inference

args = arguments(__doc__)
options = ort.SessionOptions()
options.intra_op_num_threads = args.threads
options.inter_op_num_threads = 1
options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
session = ort.InferenceSession(str(args.model), options, providers=["CPUExecutionProvider"])
time_inference(args, f"onnxruntime {ort.__version__}", session.get_inputs()[0].shape,
               lambda x: session.run(None, {"input": x}))
