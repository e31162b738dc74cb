namespace Occam.NN;

/// <summary>Flattens dims startDim..endDim (torch.nn.Flatten: by default all but the batch dim). A view, no copy.</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    public override Tensor Forward(Tensor input) => Checked(input).Flatten(startDim, endDim);

    protected override string Describe() => $"Flatten(start={startDim}, end={endDim})";
}

/// <summary>Returns its input (torch.nn.Identity): a placeholder, e.g. for a removed head.</summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor input) => Checked(input);
}
