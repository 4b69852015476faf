"""Running KataGo networks: model files, ONNX conversion, KataGo's input features."""
