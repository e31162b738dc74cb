using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Occam.Cli.Commands;

/// <summary>
/// `occam bench cores`: how far apart the machine's first two cores are, as a kernel split across them feels it. On a
/// virtual machine the two virtual cores can sit on one chiplet (one L3) for a while and on two for another, and a
/// training step whose every kernel is split across them changes speed with it; this says which stretch a benchmark
/// ran in.
/// </summary>
internal static partial class BenchCommand
{
    const int SplitRows = 128, SplitCols = 512; // the benchmark MLP's first activation, [batch, 512]

    static Command CreateCores()
    {
        var command = new Command("cores",
            "Measures how far apart two cores are: the round trip of a cache line between two threads (tens of ns on one chiplet, " +
            "hundreds across chiplets), and the time two threads take for a pass over the column halves and over the row halves " +
            "of a [128, 512] float matrix (a kernel split by columns shares every 4 KB page between the cores). Median of seven " +
            "batches. Example: occam bench cores");
        Cli.SetAction(command, _ => Cores());
        return command;
    }

    static int Cores()
    {
        if (Environment.ProcessorCount < 2)
            throw new InvalidOperationException($"needs two processors, this machine has {Environment.ProcessorCount}");
        double roundTrip = Median(7, () => RoundTripNanoseconds(100_000));
        using var matrix = new SplitMatrix();
        double columns = Median(7, () => matrix.PassMicroseconds(byColumns: true, threads: 2, passes: 4000));
        double rows = Median(7, () => matrix.PassMicroseconds(byColumns: false, threads: 2, passes: 4000));
        double one = Median(7, () => matrix.PassMicroseconds(byColumns: false, threads: 1, passes: 2000));
        Console.WriteLine($"cores: a cache line's round trip between two threads {roundTrip:0} ns");
        Console.WriteLine($"cores: a pass over a [{SplitRows}, {SplitCols}] matrix, two threads on column halves {columns:0.00} µs, " +
                          $"on row halves {rows:0.00} µs, one thread on all of it {one:0.00} µs");
        Console.WriteLine(Json(("bench", "cores"), ("round_trip_ns", roundTrip), ("column_halves_us", columns), ("row_halves_us", rows),
            ("one_thread_us", one)));
        return 0;
    }

    static double Median(int batches, Func<double> measure)
    {
        var values = new double[batches];
        for (int b = 0; b < batches; b++) values[b] = measure();
        Array.Sort(values);
        return values[batches / 2];
    }

    /// <summary>Nanoseconds for a cache line to go to another thread and back: each thread waits for the other's write
    /// of a shared counter, then writes it on.</summary>
    static double RoundTripNanoseconds(int trips)
    {
        var counter = new long[32]; // the counter sits at [16], on a line of its own
        var other = new Thread(() =>
        {
            for (long i = 1; i <= trips; i++)
            {
                while (Volatile.Read(ref counter[16]) != 2 * i - 1) Thread.SpinWait(1);
                Volatile.Write(ref counter[16], 2 * i);
            }
        });
        other.Start();
        var watch = Stopwatch.StartNew();
        for (long i = 1; i <= trips; i++)
        {
            Volatile.Write(ref counter[16], 2 * i - 1);
            while (Volatile.Read(ref counter[16]) != 2 * i) Thread.SpinWait(1);
        }
        double nanoseconds = watch.Elapsed.TotalNanoseconds / trips;
        other.Join();
        return nanoseconds;
    }

    /// <summary>A page-aligned [128, 512] float matrix x and a matrix y of the same shape, and passes y = 0.5·y + x over a
    /// share of them, as an element-wise kernel after a product runs.</summary>
    sealed unsafe class SplitMatrix : IDisposable
    {
        readonly float* _x, _y;

        public SplitMatrix()
        {
            nuint bytes = SplitRows * SplitCols * sizeof(float);
            _x = (float*)NativeMemory.AlignedAlloc(bytes, 4096);
            _y = (float*)NativeMemory.AlignedAlloc(bytes, 4096);
            for (int i = 0; i < SplitRows * SplitCols; i++) { _x[i] = i % 7; _y[i] = 0; }
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(_x);
            NativeMemory.AlignedFree(_y);
        }

        /// <summary>Microseconds per pass when <paramref name="threads"/> threads (1 or 2) each make
        /// <paramref name="passes"/> passes over their half, side by side without waiting for each other.</summary>
        public double PassMicroseconds(bool byColumns, int threads, int passes)
        {
            var watch = Stopwatch.StartNew();
            if (threads == 1)
                for (int p = 0; p < passes; p++) { Pass(0, byColumns); Pass(1, byColumns); }
            else
            {
                var other = new Thread(() => { for (int p = 0; p < passes; p++) Pass(1, byColumns); });
                other.Start();
                for (int p = 0; p < passes; p++) Pass(0, byColumns);
                other.Join();
            }
            return watch.Elapsed.TotalMicroseconds / passes;
        }

        void Pass(int half, bool byColumns)
        {
            var decay = Vector512.Create(0.5f);
            int rowStart = byColumns ? 0 : half * SplitRows / 2, rowEnd = byColumns ? SplitRows : (half + 1) * SplitRows / 2;
            int colStart = byColumns ? half * SplitCols / 2 : 0, colEnd = byColumns ? (half + 1) * SplitCols / 2 : SplitCols;
            for (int r = rowStart; r < rowEnd; r++)
            {
                float* x = _x + r * SplitCols, y = _y + r * SplitCols;
                for (int j = colStart; j < colEnd; j += 16)
                    (Vector512.Load(y + j) * decay + Vector512.Load(x + j)).Store(y + j);
            }
        }
    }
}
