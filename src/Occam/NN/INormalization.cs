namespace Occam.NN;

/// <summary>Marks a normalization layer (batch, layer, group, instance, RMS norm), whose scale and shift are by
/// convention not weight-decayed (see <see cref="Optim.DecayPolicy.ExcludeBiasAndNorm"/>).</summary>
public interface INormalization;
