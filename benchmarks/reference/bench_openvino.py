# OpenVINO reference for the inference cases of `tlab bench models`: the ONNX model export_onnx.py
# wrote, compiled for the CPU with `threads` inference threads and the latency hint (one stream: one
# batch at a time, as ours runs), synchronous requests.
import openvino as ov

from inference_case import arguments, time_inference

args = arguments(__doc__)
compiled = ov.Core().compile_model(str(args.model), "CPU", {
    "INFERENCE_NUM_THREADS": args.threads, "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"})
request = compiled.create_infer_request()
time_inference(args, f"openvino {ov.__version__}", list(compiled.input(0).shape), lambda x: request.infer({0: x}))
