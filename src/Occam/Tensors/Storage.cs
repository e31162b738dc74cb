namespace Occam;

/// <summary>
/// The float array behind a tensor and its views. Storage that an op produced while
/// recording a graph is <see cref="GraphOwned"/>: Backward returns it to the pool, unless
/// a view of it escaped through Detach (<see cref="Pinned"/>).
/// </summary>
internal sealed class Storage(float[] array, bool graphOwned = false)
{
    public float[] Array = array;
    public bool GraphOwned = graphOwned;
    public bool Pinned;
    public bool Released;
    /// <summary>Counts in-place changes made outside the graph (CopyFrom, an optimizer step, LoadStateDict): a backward
    /// whose inputs changed since the forward would differentiate at the new values, so it refuses.</summary>
    public long Version;
    /// <summary>Rented from <see cref="BufferPool"/> by an op (<see cref="Tensor.Empty"/>), so it may go back there.</summary>
    public bool Pooled;

    /// <summary>Returns a pooled op output that no graph owns (an inference intermediate) to the pool.</summary>
    public void ReleaseTransient()
    {
        if (!Pooled || GraphOwned || Pinned || Released) return;
        Released = true;
        BufferPool.Return(Array);
        Array = [];
    }

    public void Release()
    {
        if (!GraphOwned || Pinned || Released) return;
        Released = true;
        BufferPool.Return(Array);
        Array = [];
    }
}
