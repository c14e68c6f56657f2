using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Rtser.Features;
using Rtser.Features.Pipeline;

namespace Rtser.Inference;

/// <summary>
/// One ONNX model and its card. The session is created once and shared: ONNX Runtime's Run is thread-safe.
/// At load the card is checked against the extractor's configuration and against the graph's own inputs
/// and outputs, so a mismatch stops start-up instead of producing quiet nonsense.
/// </summary>
public sealed class EmotionModel : IDisposable
{
    public const string OutputName = "probabilities";

    /// <summary>Speaker-adapted models: the input the speaker's profile goes to, and the output a profile is made of.</summary>
    public const string SpeakerInput = "speaker_mean";
    public const string StatisticsOutput = "utterance_stats";

    /// <summary>A routed model's channel detector: probabilities over the channels its card's output entry labels.</summary>
    public const string ChannelOutput = "channel";

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;

    // Runs in flight, so Dispose can wait for them: freeing the native session under a running Run crashes
    // the process (a live stream's last reading can still be computing while the host shuts down).
    private readonly object _lifetime = new();
    private int _running;
    private bool _disposed;

    private EmotionModel(ModelCard card, InferenceSession session, string[] inputNames)
    {
        Card = card;
        _session = session;
        _inputNames = inputNames;
    }

    public ModelCard Card { get; }

    public string Id => Card.Id;

    public IReadOnlyList<string> Labels => Card.Labels;

    /// <summary>
    /// The channels the graph's <see cref="ChannelOutput"/> tells apart, in its order, when the card lists them (routed
    /// models); null for a model without a channel detector.
    /// </summary>
    public IReadOnlyList<string>? ChannelLabels { get; private init; }

    /// <summary>Inputs the service knows how to fill from <see cref="SpeechFeatures"/>.</summary>
    public static IReadOnlyList<string> KnownInputs { get; } = ["mfcc", "ms", "vad", "ms_stats", "prosody", "prosody_stats", SpeakerInput];

    /// <summary>
    /// Whether the model scores a recording against its speaker's profile (the mean of <see cref="StatisticsMany"/>
    /// over earlier recordings of the same speaker), so it needs one to give a label.
    /// </summary>
    public bool AdaptsToSpeaker => ProfileLength > 0;

    /// <summary>Length of a speaker profile vector; 0 for models that do not adapt to the speaker.</summary>
    public int ProfileLength { get; private init; }

    /// <summary>Whether the graph reads the prosody stream, which the extractor then has to compute (it is skipped otherwise).</summary>
    public bool UsesProsody => ReadsProsody(Card);

    public static EmotionModel Load(string cardPath, SpeechFeatureExtractor extractor)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ModelCard card = ModelCard.Load(cardPath);
        string where = $"model '{card.Id}' ({cardPath})";
        if (FeatureConfigComparer.FirstDifference(card.FeatureConfig, extractor.Config) is { } diff)
        {
            throw new ModelLoadException($"{where} was trained on other features than this extractor computes ({diff}); retrain it on a fresh export or run the configuration it was trained with.");
        }

        if (ReadsProsody(card)
            && (card.FeatureConfig.ValueKind != System.Text.Json.JsonValueKind.Object || !card.FeatureConfig.TryGetProperty("prosody", out _)))
        {
            throw new ModelLoadException($"{where} reads prosody but its featureConfig has no prosody settings to check against this extractor's.");
        }

        string onnxPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(cardPath))!, card.Onnx);
        if (!File.Exists(onnxPath))
        {
            throw new ModelLoadException($"{where}: {onnxPath} does not exist.");
        }

        InferenceSession session;
        try
        {
            session = new InferenceSession(onnxPath, CreateOptions());
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"{where}: ONNX Runtime cannot load {onnxPath}: {e.Message}", e);
        }

        try
        {
            CheckSignature(card, session, extractor, where);
            int profileLength = session.InputMetadata.TryGetValue(SpeakerInput, out NodeMetadata? sm) ? sm.Dimensions[^1] : 0;
            if (card.SpeakerAdaptation?.Compensation is { } c && c.Problem(profileLength, card.Labels.Length) is { } problem)
            {
                throw new ModelLoadException($"{where}: speakerAdaptation.compensation does not fit the model: {problem}.");
            }

            return new EmotionModel(card, session, [.. card.Inputs.Select(i => i.Name)])
            {
                CanBatch = session.InputMetadata.Values.All(m => m.Dimensions is [< 0, ..]),
                ProfileLength = profileLength,
                ChannelLabels = ChannelSpec(card)?.Labels,
            };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The speaker profile from earlier recordings' <see cref="StatisticsMany"/> rows: emotion-compensated when the card
    /// carries a compensation, their mean otherwise.
    /// </summary>
    public float[] Profile(IReadOnlyList<float[]> rows) => Profile(rows, out _);

    /// <param name="compensated">Whether the profile was emotion-compensated (false for the plain mean).</param>
    /// <param name="gate">Replaces the card's gate (0: always compensate, 1: never); null keeps it.</param>
    public float[] Profile(IReadOnlyList<float[]> rows, out bool compensated, double? gate = null)
    {
        if (!AdaptsToSpeaker)
        {
            throw new InvalidOperationException($"model '{Id}' does not adapt to a speaker");
        }

        compensated = false;
        return Card.SpeakerAdaptation?.Compensation is { } c
            ? SpeakerProfiles.Compensated(rows, gate is { } g ? c with { Gate = (float)g } : c, out compensated)
            : SpeakerProfiles.Mean(rows);
    }

    /// <summary>
    /// Per-label probabilities for one utterance, in <see cref="Labels"/> order. A model that
    /// <see cref="AdaptsToSpeaker"/> needs the speaker's profile, any other takes none.
    /// </summary>
    public float[] Predict(SpeechFeatures features, float[]? speakerMean = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        CheckProfile(speakerMean);
        return Run(name => CreateInput(name, features, speakerMean), [OutputName])[0];
    }

    /// <summary>
    /// The raw utterance statistics of each utterance, from the graph's own <see cref="StatisticsOutput"/>: what a
    /// speaker profile averages, computed by the same operations the model subtracts the profile from.
    /// </summary>
    public float[][] StatisticsMany(IReadOnlyList<SpeechFeatures> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (!AdaptsToSpeaker)
        {
            throw new InvalidOperationException($"model '{Id}' does not adapt to a speaker and has no '{StatisticsOutput}' output");
        }

        // The statistics do not depend on the profile; zeros fill the input the graph still requires.
        return RunMany(items, new float[ProfileLength], [StatisticsOutput])[0];
    }

    /// <summary>
    /// What <see cref="EmotionPredictor"/> needs of one batch, from one run (the graph computes them all anyway): the
    /// probabilities, the utterance statistics when <paramref name="statistics"/> (a model that adapts to the speaker,
    /// scored against its profile: what an upload with a speaker needs), and the channel detector's probabilities when
    /// the model has one (<see cref="ChannelLabels"/>; else null).
    /// </summary>
    public (float[][] Probabilities, float[][]? Statistics, float[][]? Channel) ReadMany(IReadOnlyList<SpeechFeatures> items, float[]? speakerMean = null, bool statistics = false)
    {
        ArgumentNullException.ThrowIfNull(items);
        CheckProfile(speakerMean);
        if (statistics && speakerMean is null)
        {
            throw new ArgumentException($"model '{Id}' gives utterance statistics only when scored against a profile", nameof(speakerMean));
        }

        var outputs = new List<string> { OutputName };
        if (statistics)
        {
            outputs.Add(StatisticsOutput);
        }

        if (ChannelLabels is not null)
        {
            outputs.Add(ChannelOutput);
        }

        float[][][] values = RunMany(items, speakerMean, [.. outputs]);
        return (values[0], statistics ? values[1] : null, ChannelLabels is null ? null : values[^1]);
    }

    /// <summary>
    /// Probabilities for several utterances, in one run when the graph has a batch axis and their frame counts
    /// agree (the timeline's windows): one call amortises ONNX Runtime's per-run and per-operator overhead and
    /// gives the GRU wider matrix products. Otherwise one run each; the numbers are the same either way.
    /// </summary>
    public float[][] PredictMany(IReadOnlyList<SpeechFeatures> items, float[]? speakerMean = null) => ReadMany(items, speakerMean).Probabilities;

    /// <summary>Whether every graph input has a free batch axis (the hand-built statistics graphs fix it at 1).</summary>
    public bool CanBatch { get; private init; }

    /// <summary>Runs the graph on raw tensors by input name (parity tests feed the training framework's inputs).</summary>
    internal float[] PredictRaw(IReadOnlyDictionary<string, (float[] Data, long[] Shape)> inputs, string output = OutputName) =>
        Run(name => Tensor(inputs[name].Data, inputs[name].Data.Length, inputs[name].Shape), [output])[0];

    /// <summary>
    /// The <paramref name="outputs"/> for each utterance ([output][utterance] -> values): one batched run when the
    /// graph and the shapes allow it, else one run each.
    /// </summary>
    private float[][][] RunMany(IReadOnlyList<SpeechFeatures> items, float[]? speakerMean, string[] outputs)
    {
        if (items.Count < 2 || !CanBatch || !SameShapes(items))
        {
            float[][][] each = [.. items.Select(f => Run(name => CreateInput(name, f, speakerMean), outputs))];
            return [.. Enumerable.Range(0, outputs.Length).Select(o => each.Select(e => e[o]).ToArray())];
        }

        float[][] all = Run(name => CreateBatch(name, items, speakerMean), outputs);
        return [.. all.Select(values =>
        {
            int width = values.Length / items.Count;
            return Enumerable.Range(0, items.Count).Select(i => values.AsSpan(i * width, width).ToArray()).ToArray();
        })];
    }

    private void CheckProfile(float[]? speakerMean)
    {
        if (AdaptsToSpeaker && speakerMean is null)
        {
            throw new InvalidOperationException($"model '{Id}' adapts to the speaker and needs a speaker profile");
        }

        if (speakerMean is not null && speakerMean.Length != ProfileLength)
        {
            throw new ArgumentException(
                AdaptsToSpeaker ? $"a speaker profile for model '{Id}' has {ProfileLength} values, not {speakerMean.Length}" : $"model '{Id}' takes no speaker profile",
                nameof(speakerMean));
        }
    }

    private float[][] Run(Func<string, OrtValue> input, string[] outputs)
    {
        lock (_lifetime)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _running++;
        }

        var values = new OrtValue[_inputNames.Length];
        try
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = input(_inputNames[i]);
            }

            using var runOptions = new RunOptions();
            using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(runOptions, _inputNames, values, outputs);
            return [.. results.Select(r => r.GetTensorDataAsSpan<float>().ToArray())];
        }
        finally
        {
            foreach (OrtValue? v in values)
            {
                v?.Dispose();
            }

            lock (_lifetime)
            {
                if (--_running == 0 && _disposed)
                {
                    Monitor.PulseAll(_lifetime);
                }
            }
        }
    }

    /// <summary>Refuses new runs, waits for those in flight, then frees the session.</summary>
    public void Dispose()
    {
        lock (_lifetime)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            while (_running > 0)
            {
                Monitor.Wait(_lifetime);
            }
        }

        _session.Dispose();
    }

    /// <summary>
    /// One intra-op thread and no spinning: on 2 cores, parallelism across requests beats parallelism inside
    /// one small model, and spinning threads would burn the other core between requests.
    /// </summary>
    private static SessionOptions CreateOptions()
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    private static bool ReadsProsody(ModelCard card) => card.Inputs.Any(i => i.Name.StartsWith("prosody", StringComparison.Ordinal));

    private static OrtValue CreateInput(string name, SpeechFeatures f, float[]? speakerMean)
    {
        (float[] data, int length, long[] shape) = Source(name, f, speakerMean);
        return Tensor(data, length, shape);
    }

    /// <summary>The utterances' inputs stacked along the batch axis (their shapes agree: see <see cref="SameShapes"/>).</summary>
    private static OrtValue CreateBatch(string name, IReadOnlyList<SpeechFeatures> items, float[]? speakerMean)
    {
        (_, int length, long[] shape) = Source(name, items[0], speakerMean);
        var data = new float[length * items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            (float[] one, int n, _) = Source(name, items[i], speakerMean);
            one.AsSpan(0, n).CopyTo(data.AsSpan(i * length));
        }

        shape[0] = items.Count;
        return Tensor(data, data.Length, shape);
    }

    private static bool SameShapes(IReadOnlyList<SpeechFeatures> items) =>
        items.All(f => f.Mfcc.Frames == items[0].Mfcc.Frames
            && f.Modulation.Frames == items[0].Modulation.Frames
            && f.Prosody?.Frames == items[0].Prosody?.Frames);

    /// <summary>One input's values for one utterance (the speaker's profile for <see cref="SpeakerInput"/>) and its shape with a batch of one.</summary>
    private static (float[] Data, int Length, long[] Shape) Source(string name, SpeechFeatures f, float[]? speakerMean) => name switch
    {
        SpeakerInput => (speakerMean!, speakerMean!.Length, [1, speakerMean.Length]),
        "mfcc" => (f.Mfcc.Data, f.Mfcc.Frames * f.Mfcc.Width, [1, f.Mfcc.Frames, f.Mfcc.Width]),
        "ms" => (f.Modulation.Data, f.Modulation.Frames * f.Modulation.Width, [1, f.Modulation.Frames, f.Modulation.Width]),
        "vad" => ([.. f.Speech.Select(s => s ? 1f : 0f)], f.Speech.Length, [1, f.Speech.Length]),
        "ms_stats" => (f.ModulationStatistics, f.ModulationStatistics.Length, [1, f.ModulationStatistics.Length]),
        "prosody" => f.Prosody is { } p
            ? (p.Data, p.Frames * p.Width, [1, p.Frames, p.Width])
            : throw new InvalidOperationException("the model reads prosody but the features were extracted without it"),
        "prosody_stats" => f.ProsodyStatistics is { } ps
            ? (ps, ps.Length, [1, ps.Length])
            : throw new InvalidOperationException("the model reads prosody_stats but the features were extracted without them"),
        _ => throw new InvalidOperationException($"input '{name}' was accepted at load but has no source"),
    };

    private static OrtValue Tensor(float[] data, int length, long[] shape) =>
        OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data.AsMemory(0, length), shape);

    private static void CheckSignature(ModelCard card, InferenceSession session, SpeechFeatureExtractor extractor, string where)
    {
        var graphInputs = session.InputMetadata;
        var cardInputs = card.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        if (!cardInputs.SetEquals(graphInputs.Keys))
        {
            throw new ModelLoadException($"{where}: the card names inputs [{string.Join(", ", cardInputs)}] but the graph has [{string.Join(", ", graphInputs.Keys)}].");
        }

        foreach (TensorSpec input in card.Inputs)
        {
            if (!KnownInputs.Contains(input.Name))
            {
                throw new ModelLoadException($"{where}: input '{input.Name}' is not one the service can supply ({string.Join(", ", KnownInputs)}).");
            }

            NodeMetadata meta = graphInputs[input.Name];
            if (meta.ElementDataType != TensorElementType.Float)
            {
                throw new ModelLoadException($"{where}: input '{input.Name}' is {meta.ElementDataType}, not float32.");
            }

            if (input.Name == SpeakerInput)
            {
                CheckStatisticsOutput(session, meta, where);
                continue;
            }

            int? width = input.Name switch
            {
                "mfcc" => extractor.Mfcc.Width,
                "ms" => extractor.Modulation.Width,
                "ms_stats" => extractor.Modulation.StatisticsLength,
                "prosody" => Rtser.Features.Prosody.ProsodyExtractor.Width,
                "prosody_stats" => Rtser.Features.Prosody.ProsodyExtractor.StatisticsLength,
                _ => null,
            };
            int[] dims = meta.Dimensions;
            if (width is { } w && (dims.Length == 0 || (dims[^1] > 0 && dims[^1] != w)))
            {
                throw new ModelLoadException($"{where}: input '{input.Name}' takes width {dims.LastOrDefault()}, the extractor gives {w}.");
            }
        }

        if (!session.OutputMetadata.TryGetValue(OutputName, out NodeMetadata? output))
        {
            throw new ModelLoadException($"{where}: the graph has no '{OutputName}' output (it has {string.Join(", ", session.OutputMetadata.Keys)}).");
        }

        if (output.Dimensions is [.., int classes] && classes > 0 && classes != card.Labels.Length)
        {
            throw new ModelLoadException($"{where}: the graph outputs {classes} classes, the card lists {card.Labels.Length} labels.");
        }

        CheckChannelOutput(card, session, where);
    }

    /// <summary>The card's <see cref="ChannelOutput"/> entry when it labels the channels (what makes the service read it).</summary>
    private static TensorSpec? ChannelSpec(ModelCard card) => card.Outputs.FirstOrDefault(o => o.Name == ChannelOutput && o.Labels is not null);

    /// <summary>A card that labels a channel output promises the graph computes it, one probability per label.</summary>
    private static void CheckChannelOutput(ModelCard card, InferenceSession session, string where)
    {
        if (ChannelSpec(card)?.Labels is not { } labels)
        {
            return;
        }

        if (labels.Length < 2 || labels.Distinct(StringComparer.Ordinal).Count() != labels.Length)
        {
            throw new ModelLoadException($"{where}: the card's '{ChannelOutput}' output needs two or more distinct labels, not [{string.Join(", ", labels)}].");
        }

        if (!session.OutputMetadata.TryGetValue(ChannelOutput, out NodeMetadata? channel))
        {
            throw new ModelLoadException($"{where}: the card lists a '{ChannelOutput}' output but the graph has none (it has {string.Join(", ", session.OutputMetadata.Keys)}).");
        }

        if (channel.Dimensions is not [.., int width] || (width > 0 && width != labels.Length))
        {
            throw new ModelLoadException($"{where}: the graph's '{ChannelOutput}' output is [{string.Join(", ", channel.Dimensions)}] wide, the card lists {labels.Length} channels.");
        }
    }

    /// <summary>A speaker-adapted graph must also give the statistics its profile is made of, of the profile's length.</summary>
    private static void CheckStatisticsOutput(InferenceSession session, NodeMetadata speakerInput, string where)
    {
        if (!session.OutputMetadata.TryGetValue(StatisticsOutput, out NodeMetadata? stats))
        {
            throw new ModelLoadException($"{where}: the graph takes '{SpeakerInput}' but has no '{StatisticsOutput}' output to build a profile from.");
        }

        int width = speakerInput.Dimensions is [.., int w] ? w : -1;
        if (width <= 0 || stats.Dimensions is not [.., int s] || s != width)
        {
            throw new ModelLoadException($"{where}: '{SpeakerInput}' and '{StatisticsOutput}' must have one fixed, equal width.");
        }
    }
}
