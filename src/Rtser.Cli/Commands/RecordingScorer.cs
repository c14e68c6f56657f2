using Rtser.Audio;
using Rtser.Inference;

namespace Rtser.Cli.Commands;

/// <summary>
/// The one way a recording goes from file to reading on the command line, for <c>predict</c> and <c>evaluate</c>
/// alike, so what is measured is what is printed: the service's decoder to 16 kHz mono, then
/// <see cref="EmotionAnalyzer.Analyze"/> (the timeline and the overall label, against a speaker's profile when
/// given), with files scored on every core.
/// </summary>
internal sealed class RecordingScorer(EmotionAnalyzer analyzer, IAudioDecoder decoder)
{
    public EmotionAnalyzer Analyzer => analyzer;

    public float[] Load(string file) => decoder.Decode16kFile(file);

    public EmotionAnalysis Analyze(EmotionModel answering, float[] samples, float[]? speakerMean = null) =>
        analyzer.Analyze(answering, samples, speakerMean: speakerMean);

    /// <summary>What a recording adds to its speaker's profile for a speaker-adapted model, as the service computes it (null without speech).</summary>
    public float[]? ProfileStatistics(EmotionModel model, float[] samples) => analyzer.ProfileStatistics(model, samples);

    /// <summary>Errors that belong to one file (it is reported and the others go on), not to the run.</summary>
    public static bool IsFileError(Exception e) => e is AudioFormatException or IOException or UnauthorizedAccessException;

    /// <summary>
    /// Runs <paramref name="body"/> on every item on all cores, each worker taking the next item in order, so the
    /// lines waiting for an earlier one stay few. One file's analysis is single-threaded (ONNX Runtime runs one
    /// intra-op thread), so files in parallel is what uses the second core.
    /// </summary>
    public static void ForEachInParallel(int[] items, Action<int> body)
    {
        int next = -1;
        void Work()
        {
            for (int k; (k = Interlocked.Increment(ref next)) < items.Length;)
            {
                try
                {
                    body(items[k]);
                }
                catch
                {
                    next = items.Length; // the other workers stop at their next item
                    throw;
                }
            }
        }

        int workers = Math.Min(Environment.ProcessorCount, items.Length);
        if (workers <= 1)
        {
            Work();
            return;
        }

        try
        {
            // Threads of their own: the pool may be busy (a test host) and would start the second worker late.
            Task.WaitAll([.. Enumerable.Range(0, workers).Select(_ => Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))]);
        }
        catch (AggregateException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }
}
