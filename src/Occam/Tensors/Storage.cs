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

    public void Release()
    {
        if (!GraphOwned || Pinned || Released) return;
        Released = true;
        BufferPool.Return(Array);
        Array = [];
    }
}
