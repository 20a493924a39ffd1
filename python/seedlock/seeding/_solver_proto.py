"""Caffe's ``SolverParameter`` as a protobuf message, described here so solver files can be checked
without Caffe installed.

Field names, numbers, types and enums follow BVLC Caffe's ``src/caffe/proto/caffe.proto``
(``SolverParameter``, next available ID 43, and ``NetState``). Inline nets (``net_param``,
``train_net_param``, ``test_net_param``) are ``NetParameter`` messages with hundreds of layer
fields; they are declared as opaque messages and cut out before parsing (see ``caffe_solver``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

# (name, number, label, type, enum or message type name)
_O, _R = "optional", "repeated"
SOLVER_FIELDS: tuple[tuple[str, int, str, str, str | None], ...] = (
    ("net", 24, _O, "string", None),
    ("net_param", 25, _O, "message", "NetParameter"),
    ("train_net", 1, _O, "string", None),
    ("test_net", 2, _R, "string", None),
    ("train_net_param", 21, _O, "message", "NetParameter"),
    ("test_net_param", 22, _R, "message", "NetParameter"),
    ("train_state", 26, _O, "message", "NetState"),
    ("test_state", 27, _R, "message", "NetState"),
    ("test_iter", 3, _R, "int32", None),
    ("test_interval", 4, _O, "int32", None),
    ("test_compute_loss", 19, _O, "bool", None),
    ("test_initialization", 32, _O, "bool", None),
    ("base_lr", 5, _O, "float", None),
    ("display", 6, _O, "int32", None),
    ("average_loss", 33, _O, "int32", None),
    ("max_iter", 7, _O, "int32", None),
    ("iter_size", 36, _O, "int32", None),
    ("lr_policy", 8, _O, "string", None),
    ("gamma", 9, _O, "float", None),
    ("power", 10, _O, "float", None),
    ("momentum", 11, _O, "float", None),
    ("weight_decay", 12, _O, "float", None),
    ("regularization_type", 29, _O, "string", None),
    ("stepsize", 13, _O, "int32", None),
    ("stepvalue", 34, _R, "int32", None),
    ("clip_gradients", 35, _O, "float", None),
    ("snapshot", 14, _O, "int32", None),
    ("snapshot_prefix", 15, _O, "string", None),
    ("snapshot_diff", 16, _O, "bool", None),
    ("snapshot_format", 37, _O, "enum", "SnapshotFormat"),
    ("solver_mode", 17, _O, "enum", "SolverMode"),
    ("device_id", 18, _O, "int32", None),
    ("random_seed", 20, _O, "int64", None),
    ("type", 40, _O, "string", None),
    ("delta", 31, _O, "float", None),
    ("momentum2", 39, _O, "float", None),
    ("rms_decay", 38, _O, "float", None),
    ("debug_info", 23, _O, "bool", None),
    ("snapshot_after_train", 28, _O, "bool", None),
    ("solver_type", 30, _O, "enum", "SolverType"),
    ("layer_wise_reduce", 41, _O, "bool", None),
    ("weights", 42, _R, "string", None),
)
SOLVER_ENUMS = {
    "SnapshotFormat": ("HDF5", "BINARYPROTO"),
    "SolverMode": ("CPU", "GPU"),
    "SolverType": ("SGD", "NESTEROV", "ADAGRAD", "RMSPROP", "ADADELTA", "ADAM"),
}
INLINE_NETS = ("net_param", "train_net_param", "test_net_param")
NET_FILES = ("net", "train_net", "test_net")


@cache
def solver_class() -> Any:
    """The ``SolverParameter`` message class, built once in a private descriptor pool."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fdp = descriptor_pb2.FileDescriptorProto(name="seedlock_caffe_solver.proto", package="caffe", syntax="proto2")
    field_type = descriptor_pb2.FieldDescriptorProto
    types = {
        "string": field_type.TYPE_STRING,
        "int32": field_type.TYPE_INT32,
        "int64": field_type.TYPE_INT64,
        "float": field_type.TYPE_FLOAT,
        "bool": field_type.TYPE_BOOL,
        "enum": field_type.TYPE_ENUM,
        "message": field_type.TYPE_MESSAGE,
    }
    labels = {_O: field_type.LABEL_OPTIONAL, _R: field_type.LABEL_REPEATED}

    phase = fdp.enum_type.add(name="Phase")
    for i, name in enumerate(("TRAIN", "TEST")):
        phase.value.add(name=name, number=i)
    fdp.message_type.add(name="NetParameter")  # opaque: inline nets are cut out before parsing
    state = fdp.message_type.add(name="NetState")
    state.field.add(
        name="phase", number=1, label=field_type.LABEL_OPTIONAL, type=field_type.TYPE_ENUM, type_name=".caffe.Phase"
    )
    state.field.add(name="level", number=2, label=field_type.LABEL_OPTIONAL, type=field_type.TYPE_INT32)
    state.field.add(name="stage", number=3, label=field_type.LABEL_REPEATED, type=field_type.TYPE_STRING)

    solver = fdp.message_type.add(name="SolverParameter")
    for enum_name, values in SOLVER_ENUMS.items():
        enum = solver.enum_type.add(name=enum_name)
        for i, value in enumerate(values):
            enum.value.add(name=value, number=i)
    for name, number, label, kind, ref in SOLVER_FIELDS:
        field = solver.field.add(name=name, number=number, label=labels[label], type=types[kind])
        if kind == "enum":
            field.type_name = f".caffe.SolverParameter.{ref}"
        elif kind == "message":
            field.type_name = f".caffe.{ref}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("caffe.SolverParameter"))
