using Occam.Training;

namespace Occam.Studies;

/// <summary>One configuration's outcome. Accuracies and losses are measured after training in evaluation mode (no
/// dropout, no augmentation; early stopping's best weights restored) on the training, validation and test sets; the
/// losses are the criterion's (label smoothing included, penalties not). <see cref="Gap"/> = train − test accuracy.
/// <see cref="BestEpoch"/> is the 1-based epoch of the lowest validation loss. Norms and the exact-zero fraction cover
/// the weight matrices and kernels (not biases or normalization parameters), whose values <see cref="Weights"/> holds.</summary>
public sealed record StudyRun(
    StudyConfiguration Configuration,
    History History,
    double TrainAccuracy, double TrainLoss,
    double ValAccuracy, double ValLoss,
    double TestAccuracy, double TestLoss,
    int BestEpoch, int EpochsRun,
    double L1Norm, double L2Norm, double ZeroWeightFraction,
    double Seconds,
    float[] Weights)
{
    public string Name => Configuration.Name;

    public double Gap => TrainAccuracy - TestAccuracy;
}

/// <summary>What a study ran on and what each configuration gave, in the order they ran. In the fine-tuning scenario
/// the counts and <see cref="DataDescription"/> are those of the fine-tuning task (classes 5–9), and
/// <see cref="Pretraining"/> holds the pretraining on classes 0–4, measured as a run.</summary>
public sealed record StudyResult(StudyOptions Options, string DataDescription, int TrainCount, int ValidationCount, int TestCount,
    IReadOnlyList<StudyRun> Runs)
{
    /// <summary>The pretraining run of the fine-tuning scenario (null in the regularization scenario).</summary>
    public StudyRun? Pretraining { get; init; }

    /// <summary>The pretraining's training examples (0 in the regularization scenario).</summary>
    public int PretrainCount { get; init; }

    /// <summary>The name of the scenario's unregularized baseline: "none", or "full" (full fine-tuning).</summary>
    public string BaselineName => Options.Scenario == StudyScenario.FineTune ? "full" : "none";

    /// <summary>The baseline run, or null when the study did not include it.</summary>
    public StudyRun? Baseline => Find(BaselineName);

    /// <summary>The run named <paramref name="name"/>, or null when the study did not include it.</summary>
    public StudyRun? Find(string name) => Runs.FirstOrDefault(r => r.Name == name);
}

/// <summary>A progress report: configuration <see cref="Run"/> (0-based) of <see cref="Runs"/>, named <see cref="Name"/>,
/// is in <see cref="Epoch"/> (0-based) of at most <see cref="Epochs"/>; <see cref="Logs"/> are the latest batch or
/// epoch logs; <see cref="Finished"/> marks the run's end (early stopping may finish before the last epoch). In the
/// fine-tuning scenario run 0 is the pretraining and the configurations follow.</summary>
public readonly record struct StudyProgress(int Run, int Runs, string Name, int Epoch, int Epochs, bool EpochEnded, bool Finished,
    IReadOnlyDictionary<string, double> Logs);
