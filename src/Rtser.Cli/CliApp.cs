using Rtser.Audio;
using Rtser.Cli.Commands;

namespace Rtser.Cli;

/// <summary>Command dispatch; commands write to the given writers so tests run them in-process.</summary>
public static class CliApp
{
    public const string Usage = """
        usage: rtser <command> [options]

          features <file.wav> [--deltas 0|1|2]
              Prints the features of one file as JSON (16 kHz after resampling): MFCC, modulation spectrum, speech.
          export <dataset-folder> --corpus emodb|ravdess --out <dir> [--limit N] [--feature-config <json>]
              Writes the features of a corpus for training: index.json plus .npy arrays numpy reads.
          predict <files or folders...> [--model id] [--models dir]
              Prints one JSON line per WAV file: label, confidence, probabilities, duration (folders are walked).
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            var a = new CliArgs(args);
            switch (a.Command)
            {
                case "features":
                    return FeaturesCommand.Run(a, stdout);
                case "export":
                    return ExportCommand.Run(a, stdout);
                case "predict":
                    return PredictCommand.Run(a, stdout);
                case null or "help" or "--help" or "-h":
                    stdout.WriteLine(Usage);
                    return a.Command is null ? 2 : 0;
                default:
                    stderr.WriteLine($"unknown command '{a.Command}'");
                    stderr.WriteLine(Usage);
                    return 2;
            }
        }
        catch (Exception e) when (e is ArgumentException or AudioFormatException or IOException or FormatException or UnauthorizedAccessException)
        {
            // Expected user errors get one clear line, not a stack trace.
            stderr.WriteLine($"error: {Describe(e)}");
            return 1;
        }
    }

    /// <summary>The error's message and, for a local user, what ffmpeg said (a service keeps that out of its answers).</summary>
    internal static string Describe(Exception e) =>
        e is AudioFormatException { Diagnostics: { } said } ? $"{e.Message} ({said})" : e.Message;
}
