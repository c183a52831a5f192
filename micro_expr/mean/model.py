"""MEAN, the Micro-Expression Analysis Network (Liong et al. 2023, section 3.3), as Keras 3 functional models.

Three input streams of 42 x 42 x 1 (u, v and optical strain, section 3.1) go
through a shared trunk; two task heads sit on the 14 concatenated channels::

    per stream  conv(3 | 3 | 8 filters, 5x5, same, ReLU) -> batch norm
                -> maxpool 3x3 stride 3 -> dropout 0.3          (42 -> 14)
    trunk       concat(u, v, strain)                          (14 x 14 x 14)
    spot head   conv(8, 5x5, ReLU) -> maxpool 2x2 -> flatten -> dropout 0.2
                -> dense 1 linear      (Eq. 7)                 (14 -> 7, 392)
    recog head  the same layers -> dense C softmax (Eq. 9)

Parameter counts (weights + biases; batch norm has gamma, beta, mean, variance):

    stream convs   u: 5*5*1*3 + 3 = 78, v: 78, strain: 5*5*1*8 + 8 = 208
    batch norms    4*3 = 12, 12, 4*8 = 32
    trunk          78 + 78 + 208 + 12 + 12 + 32 = 420  (28 of them non-trainable)
    head conv      5*5*14*8 + 8 = 2808
    spot dense     392*1 + 1 = 393     -> spotting model 420 + 2808 + 393 = 3621
    recog dense    392*C + C           -> C = 3: 1179, model 4407; C = 5: 1965, model 5193
    combined       420 + 2808 + 393 + 2808 + 392*C + C -> C = 3: 7608 (the paper's
                   "7608 parameters", section 4.3), C = 5: 8394

Layer names are ours ("u_conv", "spot_conv", ...). The published Keras 2 files
use auto-generated names ("conv2d_60"), so `published.py` maps them by position.
The L2 kernel regularisers (0.001 on the stream convs, 0.1 on the head convs)
are from the authors' code, not from the paper; they only matter for training.
"""
import keras
from keras import layers

INPUT_SHAPE = (42, 42, 1)
# (stream name, number of filters of its first conv): 3, 3, 8 (section 3.3, change (1)).
STREAMS = (("u", 3), ("v", 3), ("strain", 8))
TASKS = ("spot", "recog")
CONCAT_NAME = "trunk_concat"


def trunk_layer_names():
    """Names of the shared layers (frozen for the recognition stage, section 3.2)."""
    names = []
    for stream, _ in STREAMS:
        names += [f"{stream}_conv", f"{stream}_bn", f"{stream}_pool", f"{stream}_dropout"]
    return names + [CONCAT_NAME]


def stream_branch(inputs, stream, filters):
    """One stream of the trunk: conv -> batch norm -> maxpool 3x3/3 -> dropout 0.3."""
    x = layers.Conv2D(filters, 5, padding="same", activation="relu",
                      kernel_regularizer=keras.regularizers.l2(0.001), name=f"{stream}_conv")(inputs)
    x = layers.BatchNormalization(name=f"{stream}_bn")(x)
    x = layers.MaxPooling2D(pool_size=3, strides=3, padding="same", name=f"{stream}_pool")(x)
    return layers.Dropout(0.3, name=f"{stream}_dropout")(x)


def shared_trunk(stream_inputs):
    """The shared portion of MEAN: three streams concatenated into 14 channels."""
    branches = [stream_branch(x, stream, filters) for x, (stream, filters) in zip(stream_inputs, STREAMS)]
    return layers.Concatenate(name=CONCAT_NAME)(branches)


def task_head(features, task, units, activation):
    """conv 8@5x5 ReLU -> maxpool 2x2 -> flatten -> dropout 0.2 -> dense named ``task``."""
    x = layers.Conv2D(8, 5, padding="same", activation="relu",
                      kernel_regularizer=keras.regularizers.l2(0.1), name=f"{task}_conv")(features)
    x = layers.MaxPooling2D(pool_size=2, strides=2, padding="same", name=f"{task}_pool")(x)
    x = layers.Flatten(name=f"{task}_flatten")(x)
    x = layers.Dropout(0.2, name=f"{task}_dropout")(x)
    return layers.Dense(units, activation=activation, name=task)(x)


def stream_inputs():
    """The three 42 x 42 x 1 inputs, in the order u, v, strain."""
    return [keras.Input(shape=INPUT_SHAPE, name=stream) for stream, _ in STREAMS]


def build_mean(num_classes=3):
    """The combined two-output model: (spotting score, MEAN Eq. 7; class probabilities, Eq. 9)."""
    inputs = stream_inputs()
    features = shared_trunk(inputs)
    spot = task_head(features, "spot", 1, "linear")
    recog = task_head(features, "recog", num_classes, "softmax")
    return keras.Model(inputs, [spot, recog], name="mean")


def build_spotting_model():
    """Trunk + spotting head (regression output, MEAN Eq. 7)."""
    inputs = stream_inputs()
    spot = task_head(shared_trunk(inputs), "spot", 1, "linear")
    return keras.Model(inputs, spot, name="mean_spot")


def build_recognition_model(num_classes=3):
    """Trunk + recognition head (softmax over C classes, MEAN Eq. 9)."""
    inputs = stream_inputs()
    recog = task_head(shared_trunk(inputs), "recog", num_classes, "softmax")
    return keras.Model(inputs, recog, name="mean_recog")


def task_model(mean_model, task):
    """A one-output view of the combined model that shares its layers (and weights)."""
    return keras.Model(mean_model.inputs, mean_model.get_layer(task).output, name=f"mean_{task}")


def trunk_model(model):
    """The shared trunk of any MEAN model, as a model from the three inputs to the 14 channels."""
    return keras.Model(model.inputs, model.get_layer(CONCAT_NAME).output, name="mean_trunk")


def freeze_trunk(model, frozen=True):
    """Inductive transfer (section 3.2): keep the trunk learned by spotting fixed.

    Frozen batch-norm layers also run in inference mode, as in Keras 2.
    Recompile the model after calling this.
    """
    for name in trunk_layer_names():
        model.get_layer(name).trainable = not frozen
    return model


def parameter_counts(model):
    """{"total", "trainable", "non_trainable"} parameter counts of a model."""
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    total = sum(int(w.numpy().size) for w in model.weights)
    return {"total": total, "trainable": trainable, "non_trainable": total - trainable}
