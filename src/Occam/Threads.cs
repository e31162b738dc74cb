using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Occam;

/// <summary>A loop body for <see cref="Threads.For{TBody}(int, TBody)"/>: a struct, so a call allocates nothing.</summary>
public interface IParallelBody
{
    /// <summary>Runs task <paramref name="index"/>; called once for each index, from any thread.</summary>
    void Invoke(int index);
}

/// <summary>
/// The engine's worker threads: <see cref="Count"/> − 1 persistent background threads plus the
/// calling thread. Workers spin briefly after a job (so back-to-back kernels start in well under a
/// microsecond), then sleep. A call made from inside a running job, or while another user thread
/// owns the pool, runs inline on the calling thread.
/// </summary>
public static unsafe class Threads
{
    // Spin this long before sleeping: covers the gap between consecutive kernels of a training step, including the
    // serial stretch around the loss (at 100 µs the worker was asleep when the MLP's first backward product began and
    // the caller did the whole product alone: 176 µs against 130 µs).
    const long SpinMicroseconds = 1000;

    // Spin without yielding this long, then yield the core between checks until SpinMicroseconds.
    const long YieldAfterMicroseconds = 50;

    static int _count = Environment.ProcessorCount;
    static readonly object Gate = new();
    static Worker[] _workers = [];

    [ThreadStatic] static bool t_busy;

    // The current job; written only by the thread holding Gate, before the workers are released.
    static Action<int>? _action;
    static delegate*<void*, int, void> _function;
    static void* _state;
    static int _tasks;
    static int _participants;
    static int[] _claims = new int[2]; // per task of a pinned job: 1 once claimed
    static Exception? _error;
    static PaddedCounter _next;
    // The processor the job's owner ran on when it released the workers (a worker that finds itself there moves).
    static int _ownerCpu = -1;

    /// <summary>Threads used by kernels (the caller included); default = processor count.</summary>
    public static int Count
    {
        get => _count;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, $"Threads.Count: must be at least 1, got {value}");
            _count = value;
        }
    }

    /// <summary>Threads a kernel called now can use: <see cref="Count"/>, or 1 inside a running job (whose nested
    /// calls run inline). A kernel whose result does not depend on how it is split sizes its split by this, so a
    /// job's kernel does not cut its work into shares that then run one after another on the same thread.</summary>
    internal static int Available => t_busy ? 1 : _count;

    /// <summary>Runs body(0 .. tasks−1) spread over the pool; returns when all are done and rethrows the first exception.</summary>
    public static void For(int tasks, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        int helpers = Helpers(tasks);
        if (helpers <= 0 || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < tasks; i++) body(i);
            return;
        }
        try
        {
            _action = body;
            Run(tasks, helpers);
        }
        finally
        {
            _action = null;
            Monitor.Exit(Gate);
        }
    }

    /// <summary>
    /// Runs body.Invoke(0 .. tasks−1) spread over the pool without allocating. The body is copied once
    /// and shared by all threads, so Invoke must not rely on mutating the struct's own fields.
    /// </summary>
    public static void For<TBody>(int tasks, TBody body) where TBody : struct, IParallelBody
    {
        int helpers = Helpers(tasks);
        if (helpers <= 0 || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < tasks; i++) body.Invoke(i);
            return;
        }
        try
        {
            // body is a parameter of this frame, which outlives the job: its address is stable.
            _function = &InvokeBody<TBody>;
            _state = Unsafe.AsPointer(ref body);
            Run(tasks, helpers);
        }
        finally
        {
            _function = null;
            _state = null;
            Monitor.Exit(Gate);
        }
    }

    static void InvokeBody<TBody>(void* state, int index) where TBody : struct, IParallelBody
        => Unsafe.AsRef<TBody>(state).Invoke(index);

    /// <summary>Worker threads to wake for a job of this size; 0 or less means run inline.</summary>
    static int Helpers(int tasks)
    {
        if (tasks < 0) throw new ArgumentOutOfRangeException(nameof(tasks), tasks, $"Threads.For: tasks must be non-negative, got {tasks}");
        if (t_busy) return 0;
        return Math.Min(_count, tasks) - 1;
    }

    static void Run(int tasks, int helpers)
    {
        var workers = EnsureWorkers(helpers);
        _tasks = tasks;
        _participants = helpers + 1;
        if (tasks <= _participants)
        {
            if (_claims.Length < tasks) _claims = new int[tasks];
            Array.Clear(_claims, 0, tasks);
        }
        _error = null;
        _next.Value = 0;
        if (Affinity.Supported) _ownerCpu = Affinity.CurrentCpu();
        for (int w = 0; w < helpers; w++) workers[w].Release();
        t_busy = true;
        try { Work(0); }
        finally
        {
            t_busy = false;
            for (int w = 0; w < helpers; w++) workers[w].WaitDone();
        }
        var error = _error;
        if (error != null)
        {
            _error = null;
            ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <summary>
    /// Runs this participant's tasks (the caller is participant 0, worker w is w + 1); records the first exception
    /// and stops the job. With no more tasks than participants, participant i first claims task i, so a job
    /// repeated every step (the same split of the same tensors) finds its data in the same core's caches, and then
    /// takes over any task whose own participant has not started it (a worker still waking up); with more tasks
    /// than participants, tasks are claimed in order by whoever is free.
    /// </summary>
    static void Work(int participant)
    {
        int tasks = _tasks;
        if (tasks <= _participants)
        {
            var claims = _claims;
            if (participant < tasks && Interlocked.Exchange(ref claims[participant], 1) == 0) RunTask(participant);
            for (int i = 0; i < tasks; i++)
                if (Volatile.Read(ref claims[i]) == 0 && Interlocked.Exchange(ref claims[i], 1) == 0) RunTask(i);
            return;
        }
        while (true)
        {
            int i = Interlocked.Increment(ref _next.Value) - 1;
            if (i >= tasks) return;
            RunTask(i);
        }
    }

    static void RunTask(int i)
    {
        try
        {
            var action = _action;
            if (action != null) action(i);
            else _function(_state, i);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, e, null);
            Volatile.Write(ref _next.Value, _tasks);
            for (int t = 0; t < _claims.Length; t++) Volatile.Write(ref _claims[t], 1);
        }
    }

    static Worker[] EnsureWorkers(int helpers)
    {
        var workers = _workers;
        if (workers.Length >= helpers) return workers;
        var grown = new Worker[helpers];
        Array.Copy(workers, grown, workers.Length);
        for (int w = workers.Length; w < helpers; w++) grown[w] = new Worker(w);
        _workers = grown;
        return grown;
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    struct PaddedCounter
    {
        [System.Runtime.InteropServices.FieldOffset(64)] public int Value;
    }

    /// <summary>
    /// Keeps a worker off its job owner's processor. Linux's scheduler can leave a worker on the processor of the thread
    /// that wakes it, beside an idle one: seen on this project's 2-core virtual machine for whole runs of jobs, in a
    /// third of the runs of a test that times 60 small jobs (the owner ran every task itself while the worker waited
    /// for the same core). A worker that finds itself on the owner's processor after a job binds itself to another
    /// processor the process may use (one system call, only then).
    /// </summary>
    static class Affinity
    {
        public static readonly bool Supported = OperatingSystem.IsLinux();
        const int MaskWords = 16; // 1024 processors

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sched_getcpu")]
        static extern int SchedGetCpu();

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sched_getaffinity")]
        static extern int SchedGetAffinity(int pid, nint size, ulong* mask);

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sched_setaffinity")]
        static extern int SchedSetAffinity(int pid, nint size, ulong* mask);

        // The processors the process may use, read once (before any worker narrows its own set).
        static readonly int[] Allowed = ReadAllowed();

        static int[] ReadAllowed()
        {
            if (!Supported) return [];
            try
            {
                ulong* mask = stackalloc ulong[MaskWords];
                if (SchedGetAffinity(0, MaskWords * sizeof(ulong), mask) != 0) return [];
                var cpus = new List<int>();
                for (int cpu = 0; cpu < MaskWords * 64; cpu++)
                    if ((mask[cpu / 64] & (1UL << (cpu % 64))) != 0) cpus.Add(cpu);
                return [.. cpus];
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return []; }
        }

        public static int CurrentCpu()
        {
            try { return SchedGetCpu(); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return -1; }
        }

        /// <summary>Binds the calling worker to an allowed processor other than <paramref name="cpu"/>: participant p
        /// takes the p-th of the others (wrapping), so workers spread out.</summary>
        public static void MoveOff(int cpu, int participant)
        {
            int others = Allowed.Length - (Array.IndexOf(Allowed, cpu) >= 0 ? 1 : 0);
            if (others <= 0) return;
            int pick = (participant - 1) % others;
            ulong* mask = stackalloc ulong[MaskWords];
            foreach (int candidate in Allowed)
            {
                if (candidate == cpu) continue;
                if (pick-- > 0) continue;
                new Span<ulong>(mask, MaskWords).Clear();
                mask[candidate / 64] = 1UL << (candidate % 64);
                SchedSetAffinity(0, MaskWords * sizeof(ulong), mask);
                return;
            }
        }
    }

    sealed class Worker
    {
        // Go: 1 while a job is assigned (set by the owner, cleared by the worker when done).
        // Sleeping: 1 while the worker may be blocked in Monitor.Wait; the owner then pulses.
        int _go;
        int _sleeping;

        readonly int _participant;

        public Worker(int index)
        {
            _participant = index + 1;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Occam worker {index + 1}" };
            thread.Start();
        }

        public void Release()
        {
            Interlocked.Exchange(ref _go, 1);
            if (Volatile.Read(ref _sleeping) != 0)
                lock (this) Monitor.Pulse(this);
        }

        public void WaitDone()
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref _go) != 0) spinner.SpinOnce(sleep1Threshold: -1);
        }

        void Loop()
        {
            t_busy = true;
            long spinTicks = SpinMicroseconds * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
            long yieldTicks = YieldAfterMicroseconds * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
            while (true)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                while (Volatile.Read(ref _go) == 0)
                {
                    long waited = System.Diagnostics.Stopwatch.GetTimestamp() - start;
                    // Past the first stretch, give the core to any other runnable thread (a data loader's
                    // prefetch) between checks; with none, Yield returns at once and the worker keeps watching.
                    if (waited > yieldTicks) Thread.Yield();
                    else Thread.SpinWait(1);
                    if (waited > spinTicks)
                    {
                        lock (this)
                        {
                            // Dekker with Release: either the owner sees _sleeping and pulses, or we see _go.
                            Interlocked.Exchange(ref _sleeping, 1);
                            while (Volatile.Read(ref _go) == 0) Monitor.Wait(this);
                            _sleeping = 0;
                        }
                    }
                }
                Work(_participant);
                Volatile.Write(ref _go, 0);
                int owner = _ownerCpu;
                if (owner >= 0 && Affinity.CurrentCpu() == owner) Affinity.MoveOff(owner, _participant);
            }
        }
    }
}
