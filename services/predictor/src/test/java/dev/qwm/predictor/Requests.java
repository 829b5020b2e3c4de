package dev.qwm.predictor;

import com.google.protobuf.ByteString;
import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.DataType;
import dev.qwm.api.common.v1.Tensor;
import dev.qwm.api.predictor.v1.Observation;
import dev.qwm.api.predictor.v1.OpenSessionRequest;
import dev.qwm.api.predictor.v1.RolloutRequest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.ActionBatch;
import dev.qwm.predictor.mapping.Tensors;
import java.util.SplittableRandom;

/** Requests as a planner sends them, built from the planning library's observations and action batches. */
public final class Requests {

    private Requests() {
    }

    public static ArtifactRef ref(ModelBundle bundle) {
        return ArtifactRef.newBuilder().setBundle(bundle.directory().toString()).build();
    }

    /** One frame of a planning observation, as the planner sends it (proprio rounded to float32). */
    public static Observation observation(dev.qwm.planning.Observation obs) {
        float[] proprio = new float[obs.proprio().length];
        for (int i = 0; i < proprio.length; i++) {
            proprio[i] = (float) obs.proprio()[i];
        }
        return Observation.newBuilder()
                .setImages(images(obs.image(), 1, obs.imageSize()))
                .setProprio(Tensors.of(proprio, 1, proprio.length))
                .build();
    }

    public static Tensor images(byte[] rgb, int frames, int size) {
        return Tensor.newBuilder().setDataType(DataType.DATA_TYPE_UINT8)
                .addShape(frames).addShape(size).addShape(size).addShape(3)
                .setData(ByteString.copyFrom(rgb)).build();
    }

    public static OpenSessionRequest open(ModelBundle encoder, ModelBundle predictor, dev.qwm.planning.Observation start,
                                          dev.qwm.planning.Observation goal, float alpha) {
        return OpenSessionRequest.newBuilder().setEncoder(ref(encoder)).setPredictor(ref(predictor))
                .setStart(observation(start)).setGoal(observation(goal)).setObjectiveAlpha(alpha).build();
    }

    public static RolloutRequest rollout(String session, ActionBatch actions, boolean finalLatents) {
        return RolloutRequest.newBuilder().setSessionId(session)
                .setActions(Tensors.of(actions.data(), actions.batch(), actions.horizon(), actions.actionDim()))
                .setReturnFinalLatents(finalLatents).build();
    }

    /** CEM-like candidates: normal samples in the normalized action space. */
    public static ActionBatch randomActions(long seed, int candidates, int horizon, int actionDim) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] data = new float[candidates * horizon * actionDim];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return new ActionBatch(candidates, horizon, actionDim, data);
    }
}
